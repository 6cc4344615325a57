//! The recording's header: format version, media kind, codec and the JSON info fields.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{show_bytes, Error, Warning};
use crate::Parsed;

/// The three layouts Janus has written over the years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FormatVersion {
    /// The oldest files: `MEETECHO` + `audio`/`video`/`data`, no info header, no packet times.
    Legacy,
    /// `MJR00001`: a JSON info header, then `MEETECHO` frames without times.
    Mjr1,
    /// `MJR00002`: a JSON info header, then `MEET` frames with a millisecond time each.
    Mjr2,
}

impl FormatVersion {
    /// The 8 bytes a file of this version starts with.
    pub fn magic(self) -> &'static [u8; 8] {
        match self {
            FormatVersion::Legacy => b"MEETECHO",
            FormatVersion::Mjr1 => b"MJR00001",
            FormatVersion::Mjr2 => b"MJR00002",
        }
    }

    /// The prefix of each frame header in this version.
    pub fn frame_prefix(self) -> &'static [u8] {
        match self {
            FormatVersion::Legacy | FormatVersion::Mjr1 => b"MEETECHO",
            FormatVersion::Mjr2 => b"MEET",
        }
    }
}

pub use mjrtool_core::{Codec, MediaKind};

/// A recording's header.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Header {
    /// File layout.
    pub version: FormatVersion,
    /// Audio, video or data.
    pub kind: MediaKind,
    /// Codec (`c`); for legacy files VP8 or Opus, as Janus assumed.
    pub codec: Codec,
    /// Codec parameters (`f`).
    pub fmtp: Option<String>,
    /// Stream description (`d`).
    pub description: Option<String>,
    /// RTP header extensions negotiated (`x`): id -> URI.
    pub extmaps: BTreeMap<u8, String>,
    /// When the recording was created, µs since the Unix epoch (`s`).
    pub created_us: Option<i64>,
    /// When the first frame was written, µs since the Unix epoch (`u`); MJR00002 packet times
    /// count from this moment.
    pub first_written_us: Option<i64>,
    /// The media is end-to-end encrypted (`e`): frames cannot be decoded.
    pub encrypted: bool,
    /// Payload type of Opus RED packets mixed in the recording (`or`).
    pub opus_red_pt: Option<u8>,
    /// Keys this crate does not know, kept as they were.
    pub extra: Map<String, Value>,
}

impl Header {
    /// An MJR00002 header with only a kind and a codec.
    pub fn new(kind: MediaKind, codec: Codec) -> Header {
        Header {
            version: FormatVersion::Mjr2,
            kind,
            codec,
            fmtp: None,
            description: None,
            extmaps: BTreeMap::new(),
            created_us: None,
            first_written_us: None,
            encrypted: false,
            opus_red_pt: None,
            extra: Map::new(),
        }
    }

    /// The JSON info header, with Janus's key order.
    pub fn to_json(&self) -> String {
        let mut m = Map::new();
        m.insert("t".into(), self.kind.letter().into());
        m.insert("c".into(), self.codec.name().into());
        if let Some(f) = &self.fmtp {
            m.insert("f".into(), f.clone().into());
        }
        if let Some(d) = &self.description {
            m.insert("d".into(), d.clone().into());
        }
        if !self.extmaps.is_empty() {
            let x: Map<String, Value> = self
                .extmaps
                .iter()
                .map(|(id, uri)| (id.to_string(), uri.clone().into()))
                .collect();
            m.insert("x".into(), x.into());
        }
        if let Some(s) = self.created_us {
            m.insert("s".into(), s.into());
        }
        if let Some(u) = self.first_written_us {
            m.insert("u".into(), u.into());
        }
        if let Some(pt) = self.opus_red_pt {
            m.insert("or".into(), pt.into());
        }
        if self.encrypted {
            m.insert("e".into(), true.into());
        }
        for (k, v) in &self.extra {
            m.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(m).to_string()
    }
}

/// A parsed header and how many bytes it took.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedHeader {
    /// The header.
    pub header: Header,
    /// Its length in bytes (magic included): the first frame starts here.
    pub len: usize,
    /// Odd fields that were read as best we could.
    pub warnings: Vec<Warning>,
}

/// Parses a recording's header from the start of `buf` (sans-IO): `Incomplete` when more bytes
/// are needed, an error when this is not (or no longer) an MJR header.
pub fn parse_header(buf: &[u8]) -> Result<Parsed<ParsedHeader>, Error> {
    let magics = [
        FormatVersion::Mjr2,
        FormatVersion::Mjr1,
        FormatVersion::Legacy,
    ];
    if buf.len() < 10 {
        let n = buf.len().min(8);
        if magics.iter().any(|v| v.magic()[..n] == buf[..n]) {
            return Ok(Parsed::Incomplete {
                needed: 10 - buf.len(),
            });
        }
        return Err(Error::NotMjr {
            found: show_bytes(buf),
        });
    }
    let Some(version) = magics.into_iter().find(|v| buf[..8] == v.magic()[..]) else {
        return Err(Error::NotMjr {
            found: show_bytes(buf),
        });
    };
    let len = usize::from(u16::from_be_bytes([buf[8], buf[9]]));
    if buf.len() < 10 + len {
        return Ok(Parsed::Incomplete {
            needed: 10 + len - buf.len(),
        });
    }
    let body = &buf[10..10 + len];
    let mut warnings = Vec::new();
    let header = match version {
        FormatVersion::Legacy => legacy_header(body)?,
        _ => json_header(version, body, &mut warnings)?,
    };
    Ok(Parsed::Complete(ParsedHeader {
        header,
        len: 10 + len,
        warnings,
    }))
}

fn legacy_header(body: &[u8]) -> Result<Header, Error> {
    let (kind, codec) = match body.first() {
        Some(b'v') if body.len() == 5 => (MediaKind::Video, Codec::Vp8),
        Some(b'a') if body.len() == 5 => (MediaKind::Audio, Codec::Opus),
        Some(b'd') if body.len() == 5 => (MediaKind::Data, Codec::Text),
        _ => {
            return Err(Error::BadHeaderField {
                field: "type",
                expected: "\"audio\", \"video\" or \"data\" after MEETECHO",
                found: show_bytes(body),
            })
        }
    };
    let mut h = Header::new(kind, codec);
    h.version = FormatVersion::Legacy;
    Ok(h)
}

fn shorten(v: &Value) -> String {
    let mut s = v.to_string();
    if s.len() > 40 {
        let mut cut = 40;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

fn odd(key: &str, expected: &'static str, v: &Value) -> Warning {
    Warning::OddHeaderField {
        key: key.into(),
        expected,
        found: shorten(v),
    }
}

/// A string field; numbers and booleans are taken as their text, with a warning.
fn string_field(key: &str, v: Value, warnings: &mut Vec<Warning>) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        Value::Null => None,
        Value::Number(_) | Value::Bool(_) => {
            warnings.push(odd(key, "a string", &v));
            Some(v.to_string())
        }
        _ => {
            warnings.push(odd(key, "a string", &v));
            None
        }
    }
}

/// A time in µs; strings of digits and floats are accepted with a warning.
fn time_field(key: &str, v: Value, warnings: &mut Vec<Warning>) -> Option<i64> {
    let t = match &v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.abs() < 9e18)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    if !(v.is_i64() || v.is_null()) {
        warnings.push(odd(key, "an integer (µs since 1970)", &v));
    }
    t
}

fn json_header(
    version: FormatVersion,
    body: &[u8],
    warnings: &mut Vec<Warning>,
) -> Result<Header, Error> {
    let map: Map<String, Value> = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => m,
        Ok(other) => {
            return Err(Error::HeaderJson {
                offset: 10,
                message: format!("found {}", shorten(&other)),
            })
        }
        Err(e) => {
            return Err(Error::HeaderJson {
                offset: 10,
                message: e.to_string(),
            })
        }
    };
    let mut kind = None;
    let mut codec = None;
    let mut h = Header::new(MediaKind::Data, Codec::Text);
    h.version = version;
    for (key, v) in map {
        match key.as_str() {
            "t" => {
                let letter = v.as_str().map(|s| s.to_ascii_lowercase());
                kind = match letter.as_deref() {
                    Some("a") | Some("audio") => Some(MediaKind::Audio),
                    Some("v") | Some("video") => Some(MediaKind::Video),
                    Some("d") | Some("data") => Some(MediaKind::Data),
                    _ => {
                        warnings.push(odd("t", "\"a\", \"v\" or \"d\"", &v));
                        None
                    }
                };
                if kind.is_some() && !matches!(letter.as_deref(), Some("a" | "v" | "d")) {
                    warnings.push(odd("t", "\"a\", \"v\" or \"d\"", &v));
                }
            }
            "c" => codec = string_field("c", v, warnings).map(|s| Codec::from_name(&s)),
            "f" => h.fmtp = string_field("f", v, warnings),
            "d" => h.description = string_field("d", v, warnings),
            "x" => match v {
                Value::Object(x) => {
                    for (id, uri) in x {
                        match (id.trim().parse::<u8>(), uri) {
                            (Ok(id), Value::String(uri)) => {
                                h.extmaps.insert(id, uri);
                            }
                            (_, uri) => warnings.push(Warning::OddHeaderField {
                                key: format!("x.{id}"),
                                expected: "an extension id (1-255) mapped to a URI string",
                                found: shorten(&uri),
                            }),
                        }
                    }
                }
                other => warnings.push(odd("x", "an object", &other)),
            },
            "s" => h.created_us = time_field("s", v, warnings),
            "u" => h.first_written_us = time_field("u", v, warnings),
            "e" => {
                h.encrypted = match &v {
                    Value::Bool(b) => *b,
                    Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
                    Value::String(s) => matches!(s.as_str(), "true" | "1" | "yes"),
                    _ => false,
                };
                if !v.is_boolean() {
                    warnings.push(odd("e", "a boolean", &v));
                }
            }
            "or" => {
                h.opus_red_pt = v
                    .as_u64()
                    .and_then(|pt| u8::try_from(pt).ok())
                    .filter(|pt| *pt < 128);
                if h.opus_red_pt.is_none() && !v.is_null() && v.as_u64() != Some(0) {
                    warnings.push(odd("or", "a payload type (1-127)", &v));
                }
                if h.opus_red_pt == Some(0) {
                    h.opus_red_pt = None;
                }
            }
            _ => {
                h.extra.insert(key, v);
            }
        }
    }
    // Without a type, the codec tells; without a codec, the type tells (as legacy files did).
    let kind = match (kind, &codec) {
        (Some(k), _) => k,
        (None, Some(c)) => {
            let guess = match c {
                Codec::Vp8 | Codec::Vp9 | Codec::H264 | Codec::H265 | Codec::Av1 => {
                    Some(MediaKind::Video)
                }
                Codec::Text | Codec::Binary => Some(MediaKind::Data),
                Codec::Other(_) => None,
                _ => Some(MediaKind::Audio),
            };
            match guess {
                Some(k) => {
                    warnings.push(Warning::OddHeaderField {
                        key: "t".into(),
                        expected: "\"a\", \"v\" or \"d\"",
                        found: format!("nothing usable; taken as {} from the codec", k.name()),
                    });
                    k
                }
                None => {
                    return Err(Error::BadHeaderField {
                        field: "t",
                        expected: "\"a\", \"v\" or \"d\"",
                        found: "nothing usable".into(),
                    })
                }
            }
        }
        (None, None) => {
            return Err(Error::BadHeaderField {
                field: "t",
                expected: "\"a\", \"v\" or \"d\" (and a codec in \"c\")",
                found: "neither".into(),
            })
        }
    };
    h.kind = kind;
    h.codec = match codec {
        Some(c) => c,
        None => {
            let c = match kind {
                MediaKind::Video => Codec::Vp8,
                MediaKind::Audio => Codec::Opus,
                MediaKind::Data => Codec::Text,
            };
            warnings.push(Warning::OddHeaderField {
                key: "c".into(),
                expected: "a codec name",
                found: format!("nothing usable; assumed {}", c.name()),
            });
            c
        }
    };
    Ok(h)
}
