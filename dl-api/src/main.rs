use clap::Parser;
use dl_api::config::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    dl_api::startup::init_tracing(&config.log_format);
    let addr = config.addr;
    let state = dl_api::startup::state(config)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "dl-api listening");
    dl_api::startup::serve(listener, state, dl_api::startup::shutdown_signal()).await
}
