use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = crud_api::Config::parse();
    crud_api::platform::telemetry::init(&config.log_format);
    let app = crud_api::Application::build(config).await?;
    app.run_until(crud_api::startup::shutdown_signal()).await
}
