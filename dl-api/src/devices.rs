//! Where a model's sessions run: `concurrency` is per GPU. A pod given N GPUs runs
//! N × concurrency sessions, each set pinned to its CUDA device, and the batcher's queue
//! spreads requests over all of them (the brief's "2 concurrent per GPU" — GPU memory, not the
//! pod, is what bounds the runs). On CPU, `concurrency` sessions share the cores.
//!
//! Device ids are indices among the devices the process sees: the NVIDIA device plugin gives a
//! container its GPUs (the container toolkit mounts only their `/dev/nvidiaN` nodes and sets
//! `NVIDIA_VISIBLE_DEVICES`), and CUDA numbers the visible ones 0…N-1 — as it does under
//! `CUDA_VISIBLE_DEVICES`. So N is the `nvidia.com/gpu` limit (the operator passes it as
//! `DL_GPUS`), or else the device nodes present.

use std::path::Path;

use crate::provider::ExecutionProvider;

/// Where one session is to run: the provider asked for, whether CPU may stand in for CUDA, and
/// the CUDA device (an index among the devices the process sees).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub provider: ExecutionProvider,
    pub cpu_fallback: bool,
    pub device: i32,
}

/// The GPUs a process in this container may use: its `/dev/nvidiaN` device nodes (not
/// `nvidiactl`, `nvidia-uvm` or `nvidia-modeset`).
pub fn gpus_visible(dev: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dev) else { return 0 };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.strip_prefix("nvidia").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .count()
}

/// One target per session: on CUDA `concurrency` for each of `gpus` devices (at least one), in
/// device order; on CPU `concurrency` of them.
pub fn layout(provider: ExecutionProvider, cpu_fallback: bool, concurrency: usize, gpus: usize) -> Vec<Target> {
    let concurrency = concurrency.max(1);
    let devices = match provider {
        ExecutionProvider::Cpu => 1,
        ExecutionProvider::Cuda => gpus.max(1),
    };
    (0..devices)
        .flat_map(|device| {
            let device = i32::try_from(device).unwrap_or(i32::MAX);
            std::iter::repeat_n(Target { provider, cpu_fallback, device }, concurrency)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn devices(targets: &[Target]) -> Vec<i32> {
        targets.iter().map(|t| t.device).collect()
    }

    #[test]
    fn concurrency_is_per_gpu_and_each_set_is_pinned_to_its_device() {
        assert_eq!(devices(&layout(ExecutionProvider::Cuda, false, 2, 1)), [0, 0]);
        assert_eq!(devices(&layout(ExecutionProvider::Cuda, false, 2, 2)), [0, 0, 1, 1]);
        assert_eq!(devices(&layout(ExecutionProvider::Cuda, false, 1, 4)), [0, 1, 2, 3]);
        // No device counted (a node whose plugin mounts nothing yet): one device, as CUDA will
        // find or refuse it; never zero sessions.
        assert_eq!(devices(&layout(ExecutionProvider::Cuda, false, 2, 0)), [0, 0]);
        assert!(layout(ExecutionProvider::Cuda, true, 2, 2).iter().all(|t| t.cpu_fallback));
    }

    #[test]
    fn cpu_runs_concurrency_sessions_whatever_the_gpus() {
        let cpu = layout(ExecutionProvider::Cpu, false, 3, 2);
        assert_eq!(cpu.len(), 3);
        assert!(cpu.iter().all(|t| t.provider == ExecutionProvider::Cpu && t.device == 0));
        assert_eq!(layout(ExecutionProvider::Cpu, false, 0, 0).len(), 1);
    }

    #[test]
    fn only_numbered_nvidia_device_nodes_count_as_gpus() {
        let dir = std::env::temp_dir().join(format!("dl-api-devices-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "nvidia-modeset", "null", "nvidia"] {
            std::fs::write(dir.join(name), b"").unwrap();
        }
        assert_eq!(gpus_visible(&dir), 2);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(gpus_visible(Path::new("/nonexistent-dev")), 0);
    }
}
