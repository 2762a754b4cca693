//! An SMTP server on a free port that keeps what it is sent: the real protocol over
//! TCP (greeting, EHLO, MAIL, RCPT, DATA with dot-stuffing, RSET, NOOP, QUIT), so
//! Vigil's mail goes through lettre exactly as it would to a relay. It can be told to
//! refuse recipients for a while (4xx) or for good (5xx).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One message as delivered.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub to: Vec<String>,
    /// Headers and body as sent (CRLF line ends, dots unstuffed).
    pub data: String,
}

impl Delivered {
    /// A header's value (unfolded), by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(value) = found.as_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                continue;
            }
            if found.is_some() {
                break;
            }
            if let Some((key, value)) = line.split_once(':')
                && key.eq_ignore_ascii_case(name)
            {
                found = Some(value.trim().to_owned());
            }
        }
        found
    }

    /// The decoded text of the part of type `mime` (`text/plain`, `text/html`).
    pub fn part(&self, mime: &str) -> Option<String> {
        let marker = format!("Content-Type: {mime}");
        let start = self.data.find(&marker)?;
        let rest = &self.data[start..];
        let (head, body) = rest.split_once("\r\n\r\n")?;
        // Up to the next MIME boundary (a signature's "-- " line is not one).
        let boundary = self
            .data
            .split_once("boundary=")
            .map(|(_, rest)| {
                rest.trim_start_matches('"')
                    .split(['"', ';', '\r'])
                    .next()
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        let body = body
            .split(&format!("\r\n--{boundary}"))
            .next()
            .unwrap_or_default();
        if head.contains("quoted-printable") {
            Some(quoted_printable(body))
        } else {
            Some(body.to_owned())
        }
    }
}

fn quoted_printable(text: &str) -> String {
    let text = text.replace("=\r\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && text.is_char_boundary(i + 3)
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// How the sink answers recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    /// 451: try again later.
    Busy,
    /// 550: no such mailbox.
    Refuse,
}

#[derive(Clone)]
pub struct SmtpSink {
    /// `smtp://127.0.0.1:PORT` for `Mailer::new`.
    pub url: String,
    delivered: Arc<Mutex<Vec<Delivered>>>,
    answer: Arc<Mutex<Answer>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let sink = Self {
            url,
            delivered: Arc::default(),
            answer: Arc::new(Mutex::new(Answer::Accept)),
        };
        let served = sink.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let sink = served.clone();
                tokio::spawn(async move {
                    let _ = sink.converse(socket).await;
                });
            }
        });
        sink
    }

    pub fn answer(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    /// Everything delivered so far, and forgets it.
    pub fn take(&self) -> Vec<Delivered> {
        std::mem::take(&mut *self.delivered.lock().unwrap())
    }

    async fn converse(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
        let mut to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_owned();
            let verb = command
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
                "HELO" => b"250 sink.test\r\n",
                "MAIL" => {
                    to.clear();
                    b"250 OK\r\n"
                }
                "RCPT" => match *self.answer.lock().unwrap() {
                    Answer::Accept => {
                        let address = command
                            .split_once(':')
                            .map(|(_, a)| a.trim().trim_matches(['<', '>']).to_owned())
                            .unwrap_or_default();
                        to.push(address);
                        b"250 OK\r\n"
                    }
                    Answer::Busy => b"451 4.3.0 try again later\r\n",
                    Answer::Refuse => b"550 5.1.1 no such mailbox\r\n",
                },
                "DATA" => {
                    write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                    let mut data = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await? == 0 {
                            return Ok(());
                        }
                        if line == ".\r\n" {
                            break;
                        }
                        data.push_str(line.strip_prefix('.').unwrap_or(&line));
                    }
                    self.delivered.lock().unwrap().push(Delivered {
                        to: std::mem::take(&mut to),
                        data,
                    });
                    b"250 OK queued\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => b"250 OK\r\n",
            };
            write.write_all(reply).await?;
        }
    }
}
