//! Messages written as `.eml` files into a directory instead of sent: the embedded default
//! (`make run` logs where each one went) and what the integration tests read their links from.

use std::path::{Path, PathBuf};

use super::message::{build, EmailSender, OutgoingEmail, SendFuture};

pub struct DirSender {
    dir: PathBuf,
    from: String,
}

impl DirSender {
    pub fn new(dir: &Path, from: &str) -> Self {
        Self { dir: dir.to_path_buf(), from: from.to_string() }
    }
}

impl EmailSender for DirSender {
    fn send<'a>(&'a self, email: &'a OutgoingEmail) -> SendFuture<'a> {
        Box::pin(async move {
            let message = build(&self.from, email)?;
            tokio::fs::create_dir_all(&self.dir).await?;
            // Sortable by time, unique across replicas sharing the directory.
            let path = self.dir.join(format!("{}.eml", uuid::Uuid::now_v7()));
            let partial = path.with_extension("eml.partial");
            tokio::fs::write(&partial, message.formatted()).await?;
            tokio::fs::rename(&partial, &path).await?;
            tracing::info!(file = %path.display(), "email written (MAIL_SMTP_URL unset)");
            Ok(())
        })
    }
}
