//! Bytes in, text out, gzip or not: the first two bytes decide, and a gzip stream is unpacked
//! a bounded step at a time (pure Rust, so it works in the browser), whatever the chunk
//! boundaries. Shared by the readers of formats that come as `.gz` (10x MEX).

use std::io::Write;

use flate2::write::MultiGzDecoder;

use crate::error::IngestError;
use crate::sniff::is_gzip;

/// Compressed bytes handed to the decoder at once, which bounds what one step inflates.
const STEP: usize = 16 << 10;

enum State {
    Undecided(Vec<u8>),
    Plain,
    Gzip(Box<MultiGzDecoder<Vec<u8>>>),
}

/// Push-based gzip-or-plain unpacking.
pub(crate) struct Inflate {
    state: State,
}

impl Inflate {
    pub fn new() -> Self {
        Inflate {
            state: State::Undecided(Vec::new()),
        }
    }

    /// Unpacks the next bytes and hands the text to `sink`, in order.
    pub fn push(
        &mut self,
        bytes: &[u8],
        sink: &mut dyn FnMut(&[u8]) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        if let State::Undecided(head) = &mut self.state {
            head.extend_from_slice(bytes);
            if head.len() < 2 {
                return Ok(());
            }
            let head = std::mem::take(head);
            self.state = if is_gzip(&head) {
                State::Gzip(Box::new(MultiGzDecoder::new(Vec::new())))
            } else {
                State::Plain
            };
            return self.push(&head, sink);
        }
        let State::Gzip(d) = &mut self.state else {
            return sink(bytes);
        };
        for piece in bytes.chunks(STEP) {
            let written = d.write_all(piece);
            let text = std::mem::take(d.get_mut());
            sink(&text)?;
            written.map_err(damaged)?;
        }
        Ok(())
    }

    /// Ends the stream: what the decoder still holds goes to `sink`.
    pub fn finish(
        &mut self,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        match std::mem::replace(&mut self.state, State::Plain) {
            State::Undecided(head) => sink(&head),
            State::Plain => Ok(()),
            State::Gzip(mut d) => {
                let flushed = d.try_finish();
                let text = std::mem::take(d.get_mut());
                sink(&text)?;
                flushed.map_err(damaged)
            }
        }
    }
}

fn damaged(e: std::io::Error) -> IngestError {
    IngestError::Unreadable {
        line: 0,
        message: format!("the gzip data is damaged ({e})"),
    }
}
