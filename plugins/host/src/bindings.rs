//! Host-side bindings of the two worlds, for each contract version the host loads.

/// The current contract (`plugins/wit`, 0.3.0).
pub mod payment {
    wasmtime::component::bindgen!({ path: "../wit", world: "payment-strategy" });
}

pub mod recommend {
    wasmtime::component::bindgen!({ path: "../wit", world: "recommendation-strategy" });
}

/// Contract 0.2.0 (`plugins/wit-0.2.0`): recommendation candidates as records. Its payment
/// world is 0.3.0's; only the package name differs.
pub mod v0_2 {
    pub mod payment {
        wasmtime::component::bindgen!({ path: "../wit-0.2.0", world: "payment-strategy" });
    }

    pub mod recommend {
        wasmtime::component::bindgen!({ path: "../wit-0.2.0", world: "recommendation-strategy" });
    }
}

/// Contract 0.1.0 (`plugins/wit-0.1.0`): no clock in the input. Plugins built against it keep
/// loading; the host drops what they cannot read.
pub mod v0_1 {
    pub mod payment {
        wasmtime::component::bindgen!({ path: "../wit-0.1.0", world: "payment-strategy" });
    }

    pub mod recommend {
        wasmtime::component::bindgen!({ path: "../wit-0.1.0", world: "recommendation-strategy" });
    }
}
