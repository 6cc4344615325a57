#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mjrtool_fuzz::targets::webm_roundtrip(data));
