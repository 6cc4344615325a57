#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mjrtool_test_support::fuzz_vp9av1::vp9_depack(data));
