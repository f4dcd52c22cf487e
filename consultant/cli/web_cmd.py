"""`caseconsultant web`: the review UI and JSON API, served by uvicorn."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""

    @app.command("web")
    def web(
        host: str | None = typer.Option(None, "--host", help="Address to bind (default: CC_WEB_HOST)."),
        port: int | None = typer.Option(None, "--port", help="Port (default: CC_WEB_PORT)."),
    ) -> None:
        """Serve the review queue web UI and /api/v1."""
        import uvicorn

        from consultant.settings import get_settings
        from consultant.web.app import create_app

        settings = get_settings()
        uvicorn.run(
            create_app(settings),
            host=host or settings.web_host,
            port=port or settings.web_port,
            proxy_headers=True,
            server_header=False,
            log_level=settings.log_level.lower(),
        )
