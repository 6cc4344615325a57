#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mjrtool_fuzz::targets::opus_depack(data));
