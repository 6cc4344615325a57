//! Putting a head in front of samples written first ([`crate::Mp4Muxer::samples_first`]).

use std::io::{self, Read, Seek, SeekFrom, Write};

/// Bytes moved at a time by [`insert_head`].
const MOVE_CHUNK: usize = 1 << 20;

/// Writes `head` at the start of `file`, whose first `reserved` bytes were left for it and
/// whose samples follow them up to its end ([`crate::Mp4Muxer::samples_first`]). A head longer
/// than `reserved` needs room: the samples move `head.len() - reserved` bytes further, from the
/// last chunk to the first, through one buffer of at most 1 MiB (each byte read and written
/// once more). Where the filesystem can insert whole blocks at the start of a file (Linux's
/// `fallocate(FALLOC_FL_INSERT_RANGE)` on ext4 or XFS), inserting that room and then calling
/// this with the new `reserved` avoids the move.
///
/// # Errors
///
/// Reading, writing or seeking `file` failed; the file is then half moved and must be thrown
/// away.
pub fn insert_head<F: Read + Write + Seek>(
    file: &mut F,
    head: &[u8],
    reserved: u64,
) -> io::Result<()> {
    let shift = (head.len() as u64).saturating_sub(reserved);
    let mut end = file.seek(SeekFrom::End(0))?;
    if shift > 0 {
        let mut buf = vec![0u8; MOVE_CHUNK.min(usize::try_from(end).unwrap_or(MOVE_CHUNK))];
        while end > reserved {
            let n = (end - reserved).min(buf.len() as u64);
            let start = end - n;
            let chunk = &mut buf[..n as usize];
            file.seek(SeekFrom::Start(start))?;
            file.read_exact(chunk)?;
            file.seek(SeekFrom::Start(start + shift))?;
            file.write_all(chunk)?;
            end = start;
        }
    }
    file.seek(SeekFrom::Start(0))?;
    file.write_all(head)?;
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    proptest! {
        #[test]
        fn the_head_comes_first_and_the_samples_follow_unchanged(
            body in prop::collection::vec(any::<u8>(), 0..5000),
            head in prop::collection::vec(any::<u8>(), 0..3000),
            reserved in 0usize..4000,
        ) {
            // A file with `reserved` bytes left for the head, then the samples.
            let mut file = vec![0xEE; reserved];
            file.extend_from_slice(&body);
            let mut file = Cursor::new(file);
            let fits = head.len() <= reserved;
            insert_head(&mut file, &head, reserved as u64).unwrap();
            let out = file.into_inner();
            prop_assert_eq!(&out[..head.len()], &head[..]);
            let samples_at = if fits { reserved } else { head.len() };
            prop_assert_eq!(&out[samples_at..], &body[..]);
        }
    }

    #[test]
    fn contents_longer_than_the_buffer_move_chunk_by_chunk() {
        let body: Vec<u8> = (0..(MOVE_CHUNK * 2 + 777))
            .map(|i| (i % 251) as u8)
            .collect();
        let head = vec![0xAB; 4096];
        let mut file = Cursor::new(body.clone());
        insert_head(&mut file, &head, 0).unwrap();
        let out = file.into_inner();
        assert_eq!(&out[..4096], &head[..]);
        assert_eq!(&out[4096..], &body[..]);
    }
}
