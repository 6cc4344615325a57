//! Ogg Opus stream writer (RFC 7845 on top of RFC 3533 pages).

use std::io::Write;

use crate::{crc, toc, OggError, OpusHead, OpusTags};

/// A page is flushed before the next packet once it holds this much audio
/// (1 s at 48 kHz).
pub const PAGE_MAX_SAMPLES: u64 = 48_000;
/// Soft cap on a page body: a packet that would push the body past this goes
/// on a new page; a single larger packet is split across pages at this size.
pub const PAGE_MAX_BODY: usize = 8192;
/// Most lacing values (segments) an Ogg page can hold.
const MAX_SEGMENTS: usize = 255;
/// Fixed part of an Ogg page header.
const HEADER_LEN: usize = 27;

const FLAG_CONTINUED: u8 = 0x01;
const FLAG_BOS: u8 = 0x02;
const FLAG_EOS: u8 = 0x04;

/// Writes one Ogg Opus logical stream to `W`.
///
/// [`OggOpusWriter::new`] writes the `OpusHead` page (beginning of stream) and
/// the `OpusTags` page(s); [`OggOpusWriter::write_packet`] appends audio
/// packets; [`OggOpusWriter::finish`] writes the last page with the
/// end-of-stream flag. The last page is always kept pending so the flag can
/// be set on it.
///
/// Granule positions follow RFC 7845 with the convention
/// `granule = pre_skip + samples of all audio packets completed so far`;
/// pages on which a header packet completes have granule 0 and a page on
/// which no packet completes has granule -1. Pages are flushed when they hold at least 1 s of audio, or
/// when the next packet would exceed 255 lacing values or ~8 KiB of body.
///
/// The page buffers are allocated once; writing packets does no heap
/// allocation. Wrap unbuffered sinks (files) in a [`std::io::BufWriter`] if
/// desired: each page is written with a single `write_all`. After an I/O
/// error the stream is incomplete and the writer should be dropped.
///
/// Dropping the writer without calling [`OggOpusWriter::finish`] leaves the
/// last page unwritten.
#[derive(Debug)]
pub struct OggOpusWriter<W: Write> {
    w: W,
    serial: u32,
    /// Sequence number of the pending page.
    seq: u32,
    pre_skip: u64,
    samples: u64,
    audio_started: bool,
    // Pending page.
    lacing: Vec<u8>,
    body: Vec<u8>,
    continued: bool,
    page_granule: Option<u64>,
    page_samples: u64,
    /// Assembly buffer for a whole page.
    out: Vec<u8>,
}

impl<W: Write> OggOpusWriter<W> {
    /// Starts a stream with serial number `serial`: writes the BOS page with
    /// `head` alone on it, then `tags` on its own page(s). The last `OpusTags`
    /// page is held back until the first audio packet or
    /// [`OggOpusWriter::finish`], so that a stream without audio can carry
    /// the EOS flag on it.
    ///
    /// # Errors
    /// [`OggError::Io`] if writing fails.
    pub fn new(w: W, serial: u32, head: &OpusHead, tags: &OpusTags) -> Result<Self, OggError> {
        let mut this = Self {
            w,
            serial,
            seq: 0,
            pre_skip: u64::from(head.pre_skip),
            samples: 0,
            audio_started: false,
            lacing: Vec::with_capacity(MAX_SEGMENTS),
            body: Vec::with_capacity(PAGE_MAX_BODY),
            continued: false,
            page_granule: None,
            page_samples: 0,
            out: Vec::with_capacity(HEADER_LEN + MAX_SEGMENTS + PAGE_MAX_BODY),
        };
        this.add_packet(&head.to_bytes(), 0, 0)?;
        this.flush_page(false)?;
        // The last OpusTags page stays pending: it is written before the
        // first audio packet, or by `finish` with the EOS flag if no audio
        // ever comes (an empty EOS page is rejected by validators).
        this.add_packet(&tags.to_bytes(), 0, 0)?;
        Ok(this)
    }

    /// Appends one Opus audio packet.
    ///
    /// The granule position advances by [`toc::packet_samples`].
    ///
    /// # Errors
    /// [`OggError::Toc`] if the packet's TOC sequence is invalid (nothing is
    /// written then), [`OggError::GranuleOverflow`], or [`OggError::Io`].
    pub fn write_packet(&mut self, packet: &[u8]) -> Result<(), OggError> {
        let samples = toc::packet_samples(packet)?;
        let total = self.samples + u64::from(samples);
        let granule = self.pre_skip + total;
        if granule > i64::MAX as u64 {
            return Err(OggError::GranuleOverflow);
        }
        if !self.audio_started {
            // OpusTags must finish its page; audio starts on a fresh one.
            self.flush_page(false)?;
            self.audio_started = true;
        }
        self.add_packet(packet, granule, samples)?;
        self.samples = total;
        Ok(())
    }

    /// Samples (48 kHz) of audio written so far, not counting pre-skip.
    #[must_use]
    pub fn samples_written(&self) -> u64 {
        self.samples
    }

    /// The underlying writer (pages not yet flushed are not in it).
    pub fn get_ref(&self) -> &W {
        &self.w
    }

    /// Writes the pending page with the end-of-stream flag, flushes and
    /// returns the underlying writer.
    ///
    /// If no audio packet was written, the `OpusTags` page gets the
    /// end-of-stream flag, so the file is still a complete, valid stream.
    ///
    /// # Errors
    /// [`OggError::Io`] if writing or flushing fails.
    pub fn finish(mut self) -> Result<W, OggError> {
        self.flush_page(true)?;
        self.w.flush()?;
        Ok(self.w)
    }

    /// Adds a packet to the pending page, flushing pages as needed.
    fn add_packet(&mut self, data: &[u8], granule: u64, samples: u32) -> Result<(), OggError> {
        let segments = data.len() / 255 + 1;
        if !self.lacing.is_empty()
            && (self.page_samples >= PAGE_MAX_SAMPLES
                || self.lacing.len() + segments > MAX_SEGMENTS
                || self.body.len() + data.len() > PAGE_MAX_BODY)
        {
            self.flush_page(false)?;
        }
        let mut rest = data;
        let mut started = false;
        loop {
            let seg = rest.len().min(255);
            if self.lacing.len() == MAX_SEGMENTS
                || (!self.lacing.is_empty() && self.body.len() + seg > PAGE_MAX_BODY)
            {
                // Only reached for a packet too big for one page.
                self.flush_page(false)?;
                self.continued = started;
            }
            // `seg <= 255` by construction.
            self.lacing.push(seg as u8);
            self.body.extend_from_slice(&rest[..seg]);
            rest = &rest[seg..];
            started = true;
            if seg < 255 {
                break;
            }
        }
        self.page_granule = Some(granule);
        self.page_samples += u64::from(samples);
        Ok(())
    }

    /// Writes the pending page (even if empty) and starts a new one.
    fn flush_page(&mut self, eos: bool) -> Result<(), OggError> {
        let mut flags = 0;
        if self.continued {
            flags |= FLAG_CONTINUED;
        }
        if self.seq == 0 {
            flags |= FLAG_BOS;
        }
        if eos {
            flags |= FLAG_EOS;
        }
        // -1 when no packet completes on the page (also for the inner pages
        // of a multi-page OpusTags; the pages where a header completes get 0).
        let granule = self.page_granule.unwrap_or(u64::MAX);
        self.out.clear();
        self.out.extend_from_slice(b"OggS");
        self.out.push(0);
        self.out.push(flags);
        self.out.extend_from_slice(&granule.to_le_bytes());
        self.out.extend_from_slice(&self.serial.to_le_bytes());
        self.out.extend_from_slice(&self.seq.to_le_bytes());
        self.out.extend_from_slice(&[0; 4]);
        // At most 255 entries by construction.
        self.out.push(self.lacing.len() as u8);
        self.out.extend_from_slice(&self.lacing);
        self.out.extend_from_slice(&self.body);
        let sum = crc::crc32(&self.out);
        self.out[22..26].copy_from_slice(&sum.to_le_bytes());
        self.w.write_all(&self.out)?;

        self.seq = self.seq.wrapping_add(1);
        self.lacing.clear();
        self.body.clear();
        self.continued = false;
        self.page_granule = None;
        self.page_samples = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::{OggPacketReader, OggPageReader};

    fn writer() -> OggOpusWriter<Vec<u8>> {
        OggOpusWriter::new(
            Vec::new(),
            0x1234_5678,
            &OpusHead::new(1, 312, 48_000),
            &OpusTags::new("test"),
        )
        .unwrap()
    }

    #[test]
    fn invalid_toc_writes_nothing() {
        let mut w = writer();
        w.write_packet(&[0xF8, 1]).unwrap();
        let before = (w.get_ref().len(), w.lacing.len(), w.body.len());
        assert!(matches!(w.write_packet(&[]), Err(OggError::Toc(_))));
        assert!(matches!(w.write_packet(&[0xFB]), Err(OggError::Toc(_))));
        assert_eq!(before, (w.get_ref().len(), w.lacing.len(), w.body.len()));
        assert_eq!(w.samples_written(), 960);
    }

    #[test]
    fn header_pages() {
        let buf = writer().finish().unwrap();
        let pages: Vec<_> = OggPageReader::new(&buf).map(Result::unwrap).collect();
        assert_eq!(pages.len(), 2);
        assert!(pages[0].is_bos() && !pages[0].is_eos());
        assert_eq!(pages[0].lacing, &[19]);
        assert_eq!(pages[0].granule(), Some(0));
        assert_eq!(pages[1].granule(), Some(0));
        assert!(pages[1].is_eos() && !pages[1].is_bos());
        assert_eq!(OggPacketReader::new(&buf).count(), 2);
    }

    #[test]
    fn lacing_of_exact_multiples() {
        // 255- and 510-byte packets need a trailing 0 lacing value.
        let mut w = writer();
        let mut p = vec![0xF8u8; 510];
        w.write_packet(&p[..255]).unwrap();
        w.write_packet(&p).unwrap();
        p.truncate(1);
        w.write_packet(&p).unwrap();
        assert_eq!(w.lacing, [255, 0, 255, 255, 0, 1]);
    }

    /// A valid `n`-byte Opus packet: one empty CELT frame, padded (RFC 6716 section 3.2.5).
    fn padded_packet(n: usize) -> Vec<u8> {
        if n < 3 {
            return vec![0xF8; n];
        }
        let runs = (n - 3) / 255;
        let mut p = vec![0xFB, 0x41];
        p.extend(std::iter::repeat_n(255, runs));
        p.push(((n - 3) % 255) as u8);
        p.resize(n, 0);
        p
    }

    #[test]
    fn no_allocation_after_warmup() {
        let mut w = writer();
        let caps = (w.lacing.capacity(), w.body.capacity(), w.out.capacity());
        for i in 0..3000 {
            let n = (i * 37) % 1500 + 1;
            w.write_packet(&padded_packet(n)).unwrap();
        }
        w.write_packet(&padded_packet(100_000)).unwrap();
        assert_eq!(
            caps,
            (w.lacing.capacity(), w.body.capacity(), w.out.capacity())
        );
    }
}
