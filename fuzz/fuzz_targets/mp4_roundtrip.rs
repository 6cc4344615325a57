#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mjrtool_test_support::fuzz_mp4::mp4_roundtrip(data));
