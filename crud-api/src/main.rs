use clap::Parser;

// mimalloc rather than glibc's malloc: a listing request makes hundreds of small allocations
// (rows, JSON, headers) on two threads, and glibc's malloc/free/consolidate took ~10% of the
// server's CPU under load (docs/benchmarks.md, "Listing vs the database ceiling").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = crud_api::Config::parse();
    crud_api::platform::telemetry::init(&config.log_format);
    let app = crud_api::Application::build(config).await?;
    app.run_until(crud_api::startup::shutdown_signal()).await
}
