//! A deterministic sliver of WASI, for guests whose language runtime asks for it on every call
//! (componentize-py reads the environment; JavaScript and Python seed their hash tables and
//! read the clock): an empty environment and argument list, the call's own time on the wall
//! clock, a monotonic clock that stands still, and randomness from a fixed seed. The same input
//! still gets the same answer. Everything else of WASI — files, sockets, stdin/stdout/stderr,
//! exit, pollables — stays a trap that names the import.
//!
//! Defined only for the WASI versions the component imports (any `0.2.x`), so nothing here is
//! reachable from a component that does not ask for it.

use wasmtime::component::{Component, ComponentType, Lift, Linker, LinkerInstance, Lower};
use wasmtime::{Engine, StoreContextMut};

use crate::state::CallState;

/// Longest random byte string one call may ask for (the host allocates it).
const MAX_RANDOM_BYTES: u64 = 64 << 10;

#[derive(ComponentType, Lift, Lower, Clone, Copy)]
#[component(record)]
struct Datetime {
    seconds: u64,
    nanoseconds: u32,
}

/// splitmix64: small, fast, and the same sequence on every call of a plugin.
pub(crate) fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn bytes(state: &mut u64, len: u64) -> wasmtime::Result<Vec<u8>> {
    if len > MAX_RANDOM_BYTES {
        return Err(wasmtime::format_err!(
            "asked for {len} random bytes; the sandbox gives at most {MAX_RANDOM_BYTES}"
        ));
    }
    let mut out = Vec::with_capacity(len as usize);
    while out.len() < len as usize {
        out.extend_from_slice(&next_random(state).to_le_bytes());
    }
    out.truncate(len as usize);
    Ok(out)
}

type Ctx<'a> = StoreContextMut<'a, CallState>;

fn environment(i: &mut LinkerInstance<'_, CallState>) -> wasmtime::Result<()> {
    i.func_wrap("get-environment", |_: Ctx<'_>, (): ()| Ok((Vec::<(String, String)>::new(),)))?;
    i.func_wrap("get-arguments", |_: Ctx<'_>, (): ()| Ok((Vec::<String>::new(),)))?;
    i.func_wrap("initial-cwd", |_: Ctx<'_>, (): ()| Ok((None::<String>,)))
}

fn random(i: &mut LinkerInstance<'_, CallState>, bytes_name: &str, u64_name: &str) -> wasmtime::Result<()> {
    i.func_wrap(bytes_name, |mut s: Ctx<'_>, (len,): (u64,)| Ok((bytes(&mut s.data_mut().random, len)?,)))?;
    i.func_wrap(u64_name, |mut s: Ctx<'_>, (): ()| Ok((next_random(&mut s.data_mut().random),)))
}

fn wall_clock(i: &mut LinkerInstance<'_, CallState>) -> wasmtime::Result<()> {
    i.func_wrap("now", |s: Ctx<'_>, (): ()| {
        let ms = s.data().now_millis.max(0) as u64;
        Ok((Datetime { seconds: ms / 1000, nanoseconds: (ms % 1000) as u32 * 1_000_000 },))
    })?;
    i.func_wrap("resolution", |_: Ctx<'_>, (): ()| Ok((Datetime { seconds: 0, nanoseconds: 1_000_000 },)))
}

fn monotonic_clock(i: &mut LinkerInstance<'_, CallState>) -> wasmtime::Result<()> {
    i.func_wrap("now", |_: Ctx<'_>, (): ()| Ok((0u64,)))?;
    i.func_wrap("resolution", |_: Ctx<'_>, (): ()| Ok((1u64,)))
}

/// Defines the deterministic functions for each WASI interface `component` imports.
pub fn define(linker: &mut Linker<CallState>, engine: &Engine, component: &Component) -> wasmtime::Result<()> {
    let names: Vec<String> = component.component_type().imports(engine).map(|(name, _)| name.to_string()).collect();
    for name in names {
        let Some(interface) = name.split('@').next() else { continue };
        let define: fn(&mut LinkerInstance<'_, CallState>) -> wasmtime::Result<()> = match interface {
            "wasi:cli/environment" => environment,
            "wasi:random/random" => |i| random(i, "get-random-bytes", "get-random-u64"),
            "wasi:random/insecure" => |i| random(i, "get-insecure-random-bytes", "get-insecure-random-u64"),
            "wasi:random/insecure-seed" => {
                |i| i.func_wrap("insecure-seed", |_: Ctx<'_>, (): ()| Ok(((0x5EED_u64, 0xC0FFEE_u64),)))
            }
            "wasi:clocks/wall-clock" => wall_clock,
            "wasi:clocks/monotonic-clock" => monotonic_clock,
            _ => continue,
        };
        define(&mut linker.instance(&name)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn randomness_is_the_same_on_every_call_and_bounded() {
        let (mut a, mut b) = (0, 0);
        assert_eq!(bytes(&mut a, 33).unwrap(), bytes(&mut b, 33).unwrap());
        assert_eq!(bytes(&mut a, 33).unwrap().len(), 33);
        assert_ne!(next_random(&mut a), next_random(&mut a));
        assert!(bytes(&mut a, MAX_RANDOM_BYTES + 1).is_err());
    }
}
