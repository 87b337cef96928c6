//! Host-side bindings of the two worlds (generated from `plugins/wit`).

pub mod payment {
    wasmtime::component::bindgen!({ path: "../wit", world: "payment-strategy" });
}

pub mod recommend {
    wasmtime::component::bindgen!({ path: "../wit", world: "recommendation-strategy" });
}
