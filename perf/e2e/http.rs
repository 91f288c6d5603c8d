//! A plain HTTP/1.1 client over one keep-alive `TcpStream` (no dependency): it sends a request
//! and reads the status, the headers and a `Content-Length` body, nothing more.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `name=value` of every `Set-Cookie`, joined for a `Cookie` header.
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| v.split(';').next().map(str::to_owned))
            .collect()
    }
}

impl Conn {
    pub fn open(port: u16) -> std::io::Result<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Conn {
            reader: BufReader::new(s.try_clone()?),
            writer: s,
        })
    }

    /// One request (`extra` holds whole header lines ending in CRLF); the answer, its body read
    /// and dropped.
    pub fn call(
        &mut self,
        method: &str,
        path: &str,
        extra: &str,
        body: &str,
    ) -> std::io::Result<Answer> {
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.writer.write_all(req.as_bytes())?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let answer = Answer { status, headers };
        if answer
            .header("transfer-encoding")
            .is_some_and(|v| v.contains("chunked"))
        {
            return Err(std::io::Error::other("chunked body: not supported"));
        }
        let length = answer
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0usize);
        let mut buf = vec![0u8; length];
        self.reader.read_exact(&mut buf)?;
        Ok(answer)
    }
}
