//! Writing to stdout without panicking when the reader goes away (`rosette-wallet … | head`).

use std::io::Write;

/// Writes `text` to stdout; a closed pipe is not an error worth reporting.
pub(crate) fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
