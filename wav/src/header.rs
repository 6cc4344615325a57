//! The bytes of a WAV header, and of the patches that fix its sizes: pure functions, no I/O.
//!
//! Layout written by [`header`] (all integers little-endian):
//!
//! ```text
//! offset  bytes  field
//!      0      4  "RIFF"                 ("RF64" after the switch, EBU Tech 3306 §3)
//!      4      4  RIFF size              (0xFFFFFFFF in RF64, or when unknown)
//!      8      4  "WAVE"
//!     12      4  "JUNK"                 (seekable output only; "ds64" after the switch)
//!     16      4  28                     (the size of a ds64 body without a table)
//!     20     28  zeros                  (ds64: RIFF size u64, data size u64, sample count u64,
//!                                        table length u32)
//!     48      4  "fmt "
//!     52      4  16 (PCM) or 40 (WAVE_FORMAT_EXTENSIBLE)
//!     56  16/40  WAVEFORMAT(EXTENSIBLE)  (see [`fmt_body`])
//!      …      4  "data"
//!      …      4  data size              (0xFFFFFFFF in RF64, or when unknown)
//! ```
//!
//! The JUNK chunk is there so that a file growing past 4 GiB can become RF64 by rewriting bytes
//! in place: reader that do not know RF64 skip JUNK like any unknown chunk.

/// `WAVE_FORMAT_PCM` (Microsoft `mmreg.h`).
pub const WAVE_FORMAT_PCM: u16 = 0x0001;
/// `WAVE_FORMAT_EXTENSIBLE`: the format of files of more than two channels (the channel mask
/// says which speaker each channel feeds).
pub const WAVE_FORMAT_EXTENSIBLE: u16 = 0xFFFE;
/// `KSDATAFORMAT_SUBTYPE_PCM` (00000001-0000-0010-8000-00AA00389B71) as stored in a file: the
/// first three GUID fields little-endian, the last eight bytes as they are.
pub const SUBTYPE_PCM: [u8; 16] = [
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];
/// Bits per sample: the only sample format written.
pub const BITS_PER_SAMPLE: u16 = 16;
/// The size field of a chunk or file whose size is unknown or held in `ds64`.
pub const UNKNOWN_SIZE: u32 = 0xFFFF_FFFF;
/// The size of a `ds64` body with no table (EBU Tech 3306 §3, `DataSize64Chunk`).
pub const DS64_BODY: u32 = 28;

/// The PCM layout of a file: channels and sample rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcmFormat {
    /// Interleaved channels, 1..=255.
    pub channels: u16,
    /// Samples per second per channel.
    pub rate: u32,
}

impl PcmFormat {
    /// Bytes of one sample of every channel (`nBlockAlign`).
    pub fn block_align(self) -> u16 {
        self.channels * (BITS_PER_SAMPLE / 8)
    }

    /// Bytes per second (`nAvgBytesPerSec`); `rate` is bounded at open so this fits.
    pub fn bytes_per_second(self) -> u64 {
        u64::from(self.rate) * u64::from(self.block_align())
    }
}

/// The speakers of `channels` channels in `dwChannelMask`, the usual layouts of Microsoft's
/// "Multiple channel audio data and WAVE files" (quad, 5.0, 5.1, 6.1, 7.1); 0 (no assignment)
/// above 8 channels.
pub fn channel_mask(channels: u16) -> u32 {
    match channels {
        1 => 0x4,   // FC
        2 => 0x3,   // FL FR
        3 => 0x7,   // FL FR FC
        4 => 0x33,  // FL FR BL BR
        5 => 0x37,  // FL FR FC BL BR
        6 => 0x3F,  // FL FR FC LFE BL BR
        7 => 0x13F, // FL FR FC LFE BL BR BC
        8 => 0x63F, // FL FR FC LFE BL BR SL SR
        _ => 0,
    }
}

/// The body of the `fmt ` chunk: `WAVEFORMATEX` with `WAVE_FORMAT_PCM` for one or two channels
/// (16 bytes, no `cbSize`, as PCM allows), `WAVEFORMATEXTENSIBLE` (40 bytes) above.
pub fn fmt_body(f: PcmFormat) -> Vec<u8> {
    let extensible = f.channels > 2;
    let mut b = Vec::with_capacity(40);
    let tag = if extensible {
        WAVE_FORMAT_EXTENSIBLE
    } else {
        WAVE_FORMAT_PCM
    };
    b.extend_from_slice(&tag.to_le_bytes());
    b.extend_from_slice(&f.channels.to_le_bytes());
    b.extend_from_slice(&f.rate.to_le_bytes());
    let per_second = u32::try_from(f.bytes_per_second()).unwrap_or(u32::MAX);
    b.extend_from_slice(&per_second.to_le_bytes());
    b.extend_from_slice(&f.block_align().to_le_bytes());
    b.extend_from_slice(&BITS_PER_SAMPLE.to_le_bytes());
    if extensible {
        b.extend_from_slice(&22u16.to_le_bytes()); // cbSize: the 22 bytes that follow
        b.extend_from_slice(&BITS_PER_SAMPLE.to_le_bytes()); // wValidBitsPerSample
        b.extend_from_slice(&channel_mask(f.channels).to_le_bytes());
        b.extend_from_slice(&SUBTYPE_PCM);
    }
    b
}

/// Where the fields that change at the end are, in a header from [`header`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderLayout {
    /// Bytes of header before the samples.
    pub len: u64,
    /// Offset of the `JUNK` chunk reserved for `ds64`, if there is one.
    pub junk: Option<u64>,
    /// Offset of the data chunk's size field.
    pub data_size_at: u64,
}

/// A header for `f`, with a JUNK chunk reserved for `ds64` when `reserve_ds64` (a seekable
/// output), and the sizes set to [`UNKNOWN_SIZE`] (they are patched at the end when the output
/// can be rewritten).
pub fn header(f: PcmFormat, reserve_ds64: bool) -> (Vec<u8>, HeaderLayout) {
    let mut h = Vec::with_capacity(96);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&UNKNOWN_SIZE.to_le_bytes());
    h.extend_from_slice(b"WAVE");
    let junk = reserve_ds64.then(|| {
        let at = h.len() as u64;
        h.extend_from_slice(b"JUNK");
        h.extend_from_slice(&DS64_BODY.to_le_bytes());
        h.resize(h.len() + DS64_BODY as usize, 0);
        at
    });
    let fmt = fmt_body(f);
    h.extend_from_slice(b"fmt ");
    h.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
    h.extend_from_slice(&fmt);
    h.extend_from_slice(b"data");
    let data_size_at = h.len() as u64;
    h.extend_from_slice(&UNKNOWN_SIZE.to_le_bytes());
    let layout = HeaderLayout {
        len: h.len() as u64,
        junk,
        data_size_at,
    };
    (h, layout)
}

/// One in-place rewrite of header bytes: `bytes` at `offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// From the start of the file.
    pub offset: u64,
    /// What goes there.
    pub bytes: Vec<u8>,
}

/// The patches that give a header of `layout` its final sizes for `data` bytes of samples of
/// `f`: RIFF and data sizes when the file fits in 4 GiB, else the switch to RF64 (the form
/// type, the `ds64` chunk in place of `JUNK`, and both 32-bit sizes set to 0xFFFFFFFF). `None`
/// when the file is too large for RIFF and has no JUNK chunk to become RF64.
pub fn final_patches(layout: HeaderLayout, f: PcmFormat, data: u64) -> Option<Vec<Patch>> {
    let riff = layout.len - 8 + data;
    let at = |offset: u64, bytes: &[u8]| Patch {
        offset,
        bytes: bytes.to_vec(),
    };
    if let (Ok(riff32), Ok(data32)) = (u32::try_from(riff), u32::try_from(data)) {
        if riff32 != UNKNOWN_SIZE && data32 != UNKNOWN_SIZE {
            return Some(vec![
                at(4, &riff32.to_le_bytes()),
                at(layout.data_size_at, &data32.to_le_bytes()),
            ]);
        }
    }
    let junk = layout.junk?;
    let mut ds64 = Vec::with_capacity(8 + DS64_BODY as usize);
    ds64.extend_from_slice(b"ds64");
    ds64.extend_from_slice(&DS64_BODY.to_le_bytes());
    ds64.extend_from_slice(&riff.to_le_bytes());
    ds64.extend_from_slice(&data.to_le_bytes());
    ds64.extend_from_slice(&(data / u64::from(f.block_align())).to_le_bytes());
    ds64.extend_from_slice(&0u32.to_le_bytes()); // no table of other chunk sizes
    Some(vec![
        at(junk, &ds64),
        at(layout.data_size_at, &UNKNOWN_SIZE.to_le_bytes()),
        at(0, b"RF64"),
        at(4, &UNKNOWN_SIZE.to_le_bytes()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stereo_header_is_plain_pcm_and_a_six_channel_one_extensible() {
        let stereo = fmt_body(PcmFormat {
            channels: 2,
            rate: 48_000,
        });
        assert_eq!(stereo.len(), 16);
        assert_eq!(&stereo[..2], &[1, 0]);
        assert_eq!(&stereo[8..12], &192_000u32.to_le_bytes());
        let six = fmt_body(PcmFormat {
            channels: 6,
            rate: 48_000,
        });
        assert_eq!(six.len(), 40);
        assert_eq!(&six[..2], &[0xFE, 0xFF]);
        assert_eq!(&six[20..24], &0x3Fu32.to_le_bytes());
        assert_eq!(&six[24..], &SUBTYPE_PCM);
    }

    #[test]
    fn the_junk_chunk_is_exactly_as_large_as_a_ds64_chunk() {
        let f = PcmFormat {
            channels: 1,
            rate: 16_000,
        };
        let (h, layout) = header(f, true);
        assert_eq!(layout.len, h.len() as u64);
        let patches = final_patches(layout, f, 1 << 33).unwrap();
        let ds64 = &patches[0];
        assert_eq!(ds64.offset, 12);
        assert_eq!(ds64.bytes.len(), 36);
        assert_eq!(&h[12..16], b"JUNK");
        let (h2, layout2) = header(f, false);
        assert_eq!(h2.len() + 36, h.len());
        assert_eq!(final_patches(layout2, f, 1 << 33), None);
    }
}
