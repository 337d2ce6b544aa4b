"""`governance registry serve|hash-password`: the Confluent-compatible registry (governance.registry)."""

from __future__ import annotations

from pathlib import Path

import click

from governance.cli.options import CONTEXT, kafka_options
from governance.extras import needs
from governance.kafka.settings import KafkaSettings


@click.group("registry", context_settings=CONTEXT)
def command() -> None:
    """A Confluent-compatible Avro Schema Registry stored in Kafka's _schemas topic."""


@command.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8081, show_default=True, help="Port to listen on.")
@click.option("--topic", default="_schemas", show_default=True, help="The compacted topic that stores the schemas.")
@click.option("--ssl-certfile", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="Serve HTTPS with this certificate (PEM).")
@click.option("--ssl-keyfile", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="The certificate's private key (PEM).")
@click.option(
    "--users-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Require HTTP basic auth: YAML of `name: {password: HASH, role: read|write|admin}`.",
)
@click.option(
    "--advertised-url",
    metavar="URL",
    help="The URL other instances use to forward writes here. Default: http(s)://HOST:PORT.",
)
@needs("registry")
@kafka_options
def registry_serve(
    settings: KafkaSettings,
    host: str,
    port: int,
    topic: str,
    ssl_certfile: Path | None,
    ssl_keyfile: Path | None,
    users_file: Path | None,
    advertised_url: str | None,
) -> None:
    """Serve the Schema Registry REST API (Confluent's paths, content type and error codes).

    Run several instances on one topic for availability: Kafka elects one
    primary, which writes; the others serve reads and forward writes to it.

    \b
    Point any Confluent client at it:
      governance registry serve --port 8081
      schema.registry.url=http://127.0.0.1:8081
    """
    from governance.registry.server import ServeOptions, serve

    serve(settings, ServeOptions(host, port, topic, ssl_certfile, ssl_keyfile, users_file, advertised_url))


@command.command("hash-password")
@click.password_option(help="The password to hash (prompted if not given).")
def registry_hash_password(password: str) -> None:
    """Print a password hash for the registry's --users-file."""
    from governance.registry.auth import hash_password

    click.echo(hash_password(password))
