//! A photo's analysis job: `pending` (queued, or waiting out a back-off) → `running` (claimed
//! by a worker) → `done`, or back to `pending` after a failure, and `failed` once its attempts
//! are spent or dl-api refused the image.

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisStatus {
    Pending,
    Running,
    Done,
    Failed,
}

impl AnalysisStatus {
    pub const ALL: [AnalysisStatus; 4] =
        [AnalysisStatus::Pending, AnalysisStatus::Running, AnalysisStatus::Done, AnalysisStatus::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            AnalysisStatus::Pending => "pending",
            AnalysisStatus::Running => "running",
            AnalysisStatus::Done => "done",
            AnalysisStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

crate::text_enum!(AnalysisStatus);
