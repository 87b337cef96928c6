//! SMTP delivery through lettre: `smtps://user:pass@host:465` (implicit TLS),
//! `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtp://host:25` (plain: only for a
//! relay on the same host or network).

use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::message::{build, EmailSender, MailError, OutgoingEmail, SendFuture};

pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
}

impl SmtpSender {
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            // The URL may carry a password: say what is wrong without repeating it.
            .map_err(|e| anyhow::anyhow!("MAIL_SMTP_URL is not a valid smtp:// or smtps:// URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(15)))
            .build();
        from.parse::<lettre::message::Mailbox>().map_err(|e| anyhow::anyhow!("MAIL_FROM {from:?}: {e}"))?;
        Ok(Self { transport, from: from.to_string() })
    }
}

impl EmailSender for SmtpSender {
    fn send<'a>(&'a self, email: &'a OutgoingEmail) -> SendFuture<'a> {
        Box::pin(async move {
            let message = build(&self.from, email)?;
            self.transport.send(message).await.map_err(|e| MailError::Transport(e.to_string()))?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    use super::*;

    /// The least of an SMTP server (RFC 5321) on loopback: greets, says OK, takes one message.
    async fn sink() -> (String, tokio::task::JoinHandle<(Vec<String>, String)>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let (sock, _) = listener.accept().await.unwrap();
            let (read, mut write) = sock.into_split();
            let mut lines = BufReader::new(read).lines();
            let (mut commands, mut data) = (Vec::new(), String::new());
            write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
            while let Ok(Some(line)) = lines.next_line().await {
                let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
                commands.push(line.clone());
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250 sink\r\n",
                    "DATA" => {
                        write.write_all(b"354 end with .\r\n").await.unwrap();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(&l);
                            data.push_str("\r\n");
                        }
                        b"250 queued\r\n"
                    }
                    "QUIT" => {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    }
                    _ => b"250 OK\r\n",
                };
                write.write_all(reply).await.unwrap();
            }
            (commands, data)
        });
        (url, task)
    }

    #[tokio::test]
    async fn a_message_goes_through_a_real_smtp_conversation() {
        let (url, server) = sink().await;
        let sender = SmtpSender::new(&url, "Gajyeogagu <no-reply@gajyeogagu.io>").unwrap();
        let mail = OutgoingEmail {
            to: "minsu@example.com".into(),
            subject: "가져가구 이메일 인증".into(),
            text: "링크: https://shop.example/verify-email?token=abc_DEF-123".into(),
        };
        sender.send(&mail).await.unwrap();
        drop(sender); // closes the pooled connection (QUIT)
        let (commands, data) = tokio::time::timeout(std::time::Duration::from_secs(10), server).await.unwrap().unwrap();
        assert!(commands.iter().any(|c| c == "MAIL FROM:<no-reply@gajyeogagu.io>"), "{commands:?}");
        assert!(commands.iter().any(|c| c == "RCPT TO:<minsu@example.com>"), "{commands:?}");
        assert!(data.contains("To: minsu@example.com"), "{data}");
        assert_eq!(super::super::message::body_text(data.as_bytes()).unwrap(), mail.text);
    }

    #[test]
    fn bad_urls_and_senders_are_refused_at_start_up_without_echoing_the_url() {
        let err = SmtpSender::new("ftp://user:hunter2@host", "a@b.c").err().unwrap().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(SmtpSender::new("smtp://127.0.0.1:25", "not an address").is_err());
    }
}
