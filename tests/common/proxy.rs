//! A forwarding HTTP proxy for the tests that go through one.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A forwarding HTTP proxy on 127.0.0.1: `CONNECT host:port` tunnels (what ureq sends) and
/// absolute-form `GET http://host:port/path` requests. It counts what it forwarded and
/// keeps the `Proxy-Authorization` headers it saw.
pub struct TestProxy {
    pub port: u16,
    forwarded: Arc<AtomicUsize>,
    pub authorizations: Arc<Mutex<Vec<String>>>,
}

impl TestProxy {
    pub fn start() -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let forwarded = Arc::new(AtomicUsize::new(0));
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let (count, seen) = (forwarded.clone(), authorizations.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (count, seen) = (count.clone(), seen.clone());
                std::thread::spawn(move || {
                    let _ = forward(stream, &count, &seen);
                });
            }
        });
        TestProxy {
            port,
            forwarded,
            authorizations,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn forwarded(&self) -> usize {
        self.forwarded.load(Ordering::SeqCst)
    }
}

fn forward(client: TcpStream, count: &AtomicUsize, seen: &Mutex<Vec<String>>) -> io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some(value) = line.strip_prefix("Proxy-Authorization: ") {
            seen.lock().unwrap().push(value.trim().to_string());
        } else {
            headers.push(line);
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut client_out = client.try_clone()?;
    let mut upstream = if method == "CONNECT" {
        let upstream = TcpStream::connect(target);
        let Ok(upstream) = upstream else {
            client_out.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")?;
            return Ok(());
        };
        client_out.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        upstream
    } else {
        let Some(rest) = target.strip_prefix("http://") else {
            client_out.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")?;
            return Ok(());
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let mut upstream = TcpStream::connect(authority)?;
        let path = if path.is_empty() { "/" } else { path };
        write!(upstream, "{method} {path} HTTP/1.1\r\n")?;
        for header in headers {
            upstream.write_all(header.as_bytes())?;
        }
        upstream.write_all(b"\r\n")?;
        upstream
    };
    count.fetch_add(1, Ordering::SeqCst);
    upstream.write_all(reader.buffer())?;
    let mut upstream_in = upstream.try_clone()?;
    let back = std::thread::spawn(move || {
        let _ = io::copy(&mut upstream_in, &mut client_out);
        let _ = client_out.shutdown(Shutdown::Both);
    });
    let mut rest = reader.into_inner();
    let _ = io::copy(&mut rest as &mut dyn Read, &mut upstream);
    let _ = upstream.shutdown(Shutdown::Both);
    let _ = back.join();
    Ok(())
}
