"""The ``profile-harness`` command: serve, replay, validate, proxy, lint."""

from __future__ import annotations

import gc
import os
import re
import signal
import socket
from pathlib import Path
from typing import Any

import click

from profile_harness import __version__

__all__ = ["main"]

#: An origin as browsers send it in ``Origin``: scheme, host and an optional port (``--cors``).
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def _not_blank(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A secret or a name given as an empty or blank string would lock everyone out: refuse it."""
    for item in value if isinstance(value, tuple) else (value,):
        if item is not None and not item.strip():
            raise click.BadParameter("must not be empty or blank")
    return value


def _origins(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    for origin in value:
        if not _ORIGIN.match(origin):
            raise click.BadParameter(f"{origin!r} is not an origin such as http://localhost:3000")
    return value


#: The levels uvicorn takes (``--log-level``).
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


@click.group()
@click.version_option(__version__, prog_name="profile-harness")
def main() -> None:
    """A stateful mock and contract-testing harness for Adobe's Real-Time Customer Profile API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--fixtures",
    "fixture_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Fixture file (YAML or JSON) to load; repeatable.",
)
@click.option(
    "--demo", is_flag=True, help="Load the built-in demo world (org ACME0123456789ABCDEF@AdobeOrg, prod)."
)
@click.option("--generate", type=click.IntRange(min=1), default=None, help="Load N generated people instead.")
@click.option("--seed", type=int, default=None, help="Seed for generated ids and data (reproducible runs).")
@click.option(
    "--require-token", default=None, callback=_not_blank, help="Accept only this bearer token (default: any)."
)
@click.option(
    "--client-id",
    default=None,
    callback=_not_blank,
    help="The fake IMS endpoint hands out tokens only for this client id (with --require-token, "
    "it hands out none unless --client-id or --client-secret is given).",
)
@click.option(
    "--client-secret",
    default=None,
    callback=_not_blank,
    help="The fake IMS endpoint takes only this client secret.",
)
@click.option(
    "--admin-token",
    default=None,
    callback=_not_blank,
    help="Every /__admin call but health, openapi.json and the UI needs Authorization: Bearer TOKEN. "
    "Needed to bind beyond loopback (or --allow-open-admin).",
)
@click.option(
    "--allow-open-admin",
    is_flag=True,
    help="Serve the admin API without --admin-token on a non-loopback --host (warns on stderr).",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    callback=_not_blank,
    metavar="NAME",
    help="Another Host name the admin API answers to (besides --host and the loopback names); repeatable.",
)
@click.option(
    "--cors",
    "cors_origins",
    multiple=True,
    callback=_origins,
    metavar="ORIGIN",
    help="Answer CORS requests and preflights on the Platform routes for this origin (e.g. "
    "http://localhost:3000); repeatable. None by default.",
)
@click.option(
    "--job-timing",
    multiple=True,
    metavar="KIND=RULE",
    help="How a job kind advances: export|systemJob|computedAttribute|sample = instant|reads:N|seconds:S.",
)
@click.option(
    "--system-jobs-flavor",
    type=click.Choice(["azure", "aws"]),
    default="azure",
    show_default=True,
    help="Answer the system-jobs API as Azure- or AWS-hosted Platform does, for tenants whose fixture "
    "sets no systemJobsFlavor.",
)
@click.option(
    "--lenient-media-types",
    is_flag=True,
    help="Edge services also take application/json (by default 415, as DOC-EP and DOC-TS say).",
)
@click.option(
    "--lenient-query",
    is_flag=True,
    help="Ignore query parameters an operation does not describe, as Platform does (by default a 400 "
    "that names them, to catch a misspelt parameter).",
)
@click.option(
    "--preview-sample-limit",
    type=click.IntRange(min=1),
    default=100_000,  # store.preview_sampling.DEFAULT_SAMPLE_LIMIT (not imported: the CLI starts light)
    show_default=True,
    help="Merged profiles a preview sample job reads at most; above it reports are scaled from a sample.",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="State file: loaded at start if it exists (after --fixtures), written on shutdown and on "
    "POST /__admin/snapshot (atomically).",
)
@click.option(
    "--max-header-bytes",
    type=click.IntRange(min=1024, max=1 << 20),
    default=16 * 1024,
    show_default=True,
    help="Bytes of all request headers together (names and values); past it a 431.",
)
@click.option(
    "--max-header-value-bytes",
    type=click.IntRange(min=256, max=1 << 20),
    default=8 * 1024,
    show_default=True,
    help="Bytes of one request header's value; past it a 431.",
)
@click.option(
    "--max-name-length",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Longest org id (before @AdobeOrg), sandbox name and sandbox id of a Platform call; past it a 400.",
)
@click.option(
    "--max-tenants",
    type=click.IntRange(min=1),
    default=1000,  # store.tenant.DEFAULT_MAX_TENANTS
    show_default=True,
    help="(org, sandbox) pairs writes may create (reads never create one); past it a write is a 429.",
)
@click.option(
    "--max-finished-jobs",
    type=click.IntRange(min=1),
    default=1000,  # store.jobs.DEFAULT_FINISHED_LIMIT
    show_default=True,
    help="Finished export jobs and delete requests a tenant keeps, each; the oldest are forgotten.",
)
@click.option(
    "--journal-max-bytes",
    type=click.IntRange(min=0),
    default=16 << 20,
    show_default=True,
    help="Bytes the request journal keeps (besides its 1,000 entries); the oldest entries go first.",
)
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    default="info",
    show_default=True,
)
def serve(
    host: str,
    port: int,
    fixture_files: tuple[Path, ...],
    demo: bool,
    generate: int | None,
    seed: int | None,
    require_token: str | None,
    client_id: str | None,
    client_secret: str | None,
    admin_token: str | None,
    allow_open_admin: bool,
    allowed_hosts: tuple[str, ...],
    cors_origins: tuple[str, ...],
    job_timing: tuple[str, ...],
    system_jobs_flavor: str,
    lenient_media_types: bool,
    lenient_query: bool,
    preview_sample_limit: int,
    max_header_bytes: int,
    max_header_value_bytes: int,
    max_name_length: int,
    max_tenants: int,
    max_finished_jobs: int,
    journal_max_bytes: int,
    state_file: Path | None,
    log_level: str,
) -> None:
    """Run the mock Profile API server."""
    import uvicorn

    from profile_harness.app import create_app
    from profile_harness.errors import ApiError
    from profile_harness.options import HarnessOptions
    from profile_harness.seed.demo import demo_world, generated_document
    from profile_harness.seed.fixtures import (
        FixtureError,
        load_document,
        load_files,
        load_state_file,
        write_state_file,
    )
    from profile_harness.server.admin_guard import LOOPBACK_NAMES, open_admin_warning
    from profile_harness.server.protocol import GatewayH11Protocol
    from profile_harness.store import Store
    from profile_harness.store.jobs import JOB_KINDS, parse_timing

    exposed = open_admin_warning(host, admin_token)
    if exposed and not allow_open_admin:
        raise click.UsageError(
            f"{exposed} Give --admin-token TOKEN, or --allow-open-admin to serve it anyway."
        )
    timing = {}
    for item in job_timing:
        kind, _, rule = item.partition("=")
        if kind not in JOB_KINDS:
            raise click.BadParameter(
                f"{kind!r} is not one of {', '.join(JOB_KINDS)}", param_hint="--job-timing"
            )
        try:
            timing[kind] = parse_timing(rule)
        except ApiError as exc:
            raise click.BadParameter(exc.message, param_hint="--job-timing") from None
    store = Store(seed=seed, job_timing=timing)
    try:
        if generate:  # packed as generated: a million people load in seconds and a few GiB
            world = generated_document(generate, seed=seed if seed is not None else 7)
            load_document(store, world, "generated data", trusted=True)
        elif demo:
            load_document(store, demo_world(seed=seed if seed is not None else 7), "demo data")
        load_files(store, fixture_files)
        if state_file is not None:
            _check_state_file(state_file)
            load_state_file(store, state_file)
    except FixtureError as exc:
        raise click.ClickException(str(exc)) from None
    options = HarnessOptions(
        require_token=require_token,
        ims_client_id=client_id,
        ims_client_secret=client_secret,
        admin_token=admin_token,
        admin_allowed_hosts=(host, *LOOPBACK_NAMES, *allowed_hosts),
        cors_origins=cors_origins,
        system_jobs_flavor=system_jobs_flavor,
        lenient_media_types=lenient_media_types,
        lenient_query=lenient_query,
        preview_sample_limit=preview_sample_limit,
        max_header_bytes=max_header_bytes,
        max_header_value_bytes=max_header_value_bytes,
        max_name_length=max_name_length,
        max_tenants=max_tenants,
        max_finished_jobs=max_finished_jobs,
        journal_max_bytes=journal_max_bytes,
        state_file=str(state_file) if state_file is not None else None,
    )
    app = create_app(store, options=options)
    # The world and the app live as long as the server: the cyclic collector need not walk them
    # again on every full collection (a pause of milliseconds per collection with a big world).
    gc.collect()
    gc.freeze()
    _check_can_listen(host, port)
    click.echo(f"profile-harness {__version__} serving on http://{host}:{port} (Swagger UI at /ui/)")
    if exposed:
        click.secho(f"WARNING: {exposed}", err=True, fg="red", bold=True)
    if state_file is not None:
        # uvicorn shuts down gracefully on SIGTERM, then raises the signal again under the handler it
        # found; with the default one the process would die before the state is written below.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=log_level,
            http=GatewayH11Protocol,
            # h11 reads a request line and headers of at most this (its own default, 16 KiB, unless
            # --max-header-bytes asks for more); past it a 431 as well.
            h11_max_incomplete_event_size=max(16 << 10, max_header_bytes),
        )
    finally:  # uvicorn returns once it has shut down (Ctrl-C, SIGTERM): the world is kept
        if state_file is not None:
            try:
                written = write_state_file(store, state_file, system_jobs_flavor=system_jobs_flavor)
            except OSError as exc:
                raise click.ClickException(f"the state could not be written to {state_file}: {exc}") from None
            click.echo(f"state of {written} tenant(s) written to {state_file}")


def _check_state_file(path: Path) -> None:
    """Fail at start, not at shutdown, when the state file could not be written (or read)."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"--state {path}: its folder cannot be made: {exc.strerror}") from None
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.R_OK | os.W_OK)):
        raise click.ClickException(f"--state {path}: not readable and writable by this user")


def _check_can_listen(host: str, port: int) -> None:
    """Fail with a message, before "serving on" is printed, when the address cannot be listened on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _name, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind(address)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--base-url", default=None, help="Replay against this URL (default: an in-process mock).")
@click.option("--token", envvar="PROFILE_HARNESS_TOKEN", default=None, help="Bearer token.")
@click.option("--api-key", envvar="PROFILE_HARNESS_API_KEY", default=None, help="x-api-key.")
@click.option("--org", envvar="PROFILE_HARNESS_ORG", default=None, help="x-gw-ims-org-id.")
@click.option("--sandbox", envvar="PROFILE_HARNESS_SANDBOX", default=None, help="x-sandbox-name.")
@click.option("--junit-xml", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--strict", is_flag=True, help="Pending scenarios count as failures.")
def replay(
    paths: tuple[Path, ...],
    base_url: str | None,
    token: str | None,
    api_key: str | None,
    org: str | None,
    sandbox: str | None,
    junit_xml: Path | None,
    strict: bool,
) -> None:
    """Replay scenario files (default: ./scenarios) and report each outcome."""
    from rich.console import Console
    from rich.progress import Progress

    from profile_harness.scenarios import OutcomeKind, ScenarioFileError, load_scenarios, run_scenario
    from profile_harness.scenarios.report import print_summary, write_junit
    from profile_harness.scenarios.targets import in_process_target, url_target

    console = Console()
    try:
        scenarios = load_scenarios(list(paths) or [Path("scenarios")])
    except ScenarioFileError as exc:
        console.print(str(exc), markup=False)
        raise SystemExit(2) from None
    if base_url:
        target = url_target(base_url, token=token, api_key=api_key, org=org, sandbox=sandbox)
    else:
        target = in_process_target()
    outcomes = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("replaying", total=len(scenarios))
        for scenario in scenarios:
            progress.update(task, description=scenario.path.name)
            outcomes.append(run_scenario(scenario, target))
            progress.advance(task)
    target.client.close()
    print_summary(outcomes, console)
    if junit_xml:
        junit_xml.parent.mkdir(parents=True, exist_ok=True)  # as pytest's --junitxml does
        write_junit(outcomes, junit_xml)
    bad = {OutcomeKind.FAILED, OutcomeKind.ERRORED} | ({OutcomeKind.PENDING} if strict else set())
    if any(outcome.kind in bad for outcome in outcomes):
        raise SystemExit(1)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def lint(paths: tuple[Path, ...]) -> None:
    """Check spec files (OpenAPI rules, every example) and scenario files (schema, operations).

    Without PATHS: the project's spec and admin API, and ./scenarios when it exists. A YAML file is
    taken for a spec when it has an `openapi` key, else for a scenario; folders are searched.
    """
    from profile_harness.openapi.lint import lint_paths, spec_dir

    targets = list(paths) or [spec_dir() / "openapi.yaml", spec_dir() / "admin.yaml"]
    if not paths and Path("scenarios").is_dir():
        targets.append(Path("scenarios"))
    failed = 0
    for name, problems in lint_paths(targets):
        for problem in problems:
            click.echo(f"{name}: {problem}", err=True)
        failed += len(problems)
        click.echo(f"{name}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
    if failed:
        raise SystemExit(1)


@main.command()
@click.option(
    "--base-url",
    envvar="PROFILE_HARNESS_BASE_URL",
    required=True,
    help="The deployment to validate.",
)
@click.option(
    "--token",
    envvar="PROFILE_HARNESS_TOKEN",
    default=None,
    help="Bearer token (or use IMS below).",
)
@click.option("--client-id", envvar="PROFILE_HARNESS_CLIENT_ID", default=None, help="IMS client id.")
@click.option(
    "--client-secret",
    envvar="PROFILE_HARNESS_CLIENT_SECRET",
    default=None,
    help="IMS client secret.",
)
@click.option("--scopes", envvar="PROFILE_HARNESS_SCOPES", default=None, help="IMS scopes, comma-separated.")
@click.option("--ims-url", envvar="PROFILE_HARNESS_IMS_URL", default=None, help="IMS token endpoint.")
@click.option(
    "--api-key",
    envvar="PROFILE_HARNESS_API_KEY",
    default=None,
    help="x-api-key (default: client id).",
)
@click.option("--org", envvar="PROFILE_HARNESS_ORG", required=True, help="x-gw-ims-org-id.")
@click.option(
    "--sandbox",
    envvar="PROFILE_HARNESS_SANDBOX",
    default=None,
    help="x-sandbox-name (default prod).",
)
@click.option(
    "--allow-writes",
    count=True,
    help="Also send creates validate can undo, in the named --sandbox; twice for a production sandbox.",
)
@click.option(
    "--i-know-this-is-production",
    "production_ok",
    is_flag=True,
    help="Same as --allow-writes twice.",
)
@click.option(
    "--rate",
    type=float,
    default=10.0,
    show_default=True,
    help="At most N requests a second (0: no cap).",
)
@click.option(
    "--max-examples",
    type=int,
    default=10,
    show_default=True,
    help="Generated cases per operation.",
)
@click.option(
    "--no-coverage",
    is_flag=True,
    help="Skip schemathesis' coverage cases (boundaries, missing headers).",
)
@click.option("--no-fuzz", is_flag=True, help="Skip generated (hypothesis) cases.")
@click.option(
    "--operations",
    default=None,
    metavar="REGEX",
    help="Only operations whose 'METHOD /path' matches.",
)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
)
@click.option(
    "--scenarios",
    "scenario_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Scenario files or folders (default ./scenarios); only those marked safe are replayed.",
)
@click.option("--junit-xml", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, max=7 * 24 * 3600),
    default=1800.0,
    show_default=True,
    help="Seconds the whole run may take (0: no limit); what is left is reported as not run.",
)
@click.option(
    "--request-timeout",
    type=click.FloatRange(min=0, min_open=True, max=3600),
    default=30.0,
    show_default=True,
    help="Seconds one request may take in all, headers and body (a dripping server cannot stretch it).",
)
@click.option(
    "--max-body-mib",
    type=click.FloatRange(min=0, min_open=True, max=1024),
    default=16.0,
    show_default=True,
    help="Answers longer than this are not read to the end nor checked (the row says errored).",
)
def validate(**options: Any) -> None:
    """Check a deployment against the contract: schemathesis, then the safe scenarios.

    Exit 0 when it conforms, 1 on drift, 3 when nothing drifted but not everything could be checked
    (unreachable, --timeout reached, a request without an answer); 2 is a usage error.
    """
    # The options are typed, one by one, where they are used: run_validate_command.
    from profile_harness.contract.cli_support import run_validate_command

    run_validate_command(**options)


@main.command()
@click.option("--upstream", required=True, help="The API to forward to.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True, type=int)
@click.option("--record", "record_dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option(
    "--strict",
    is_flag=True,
    help="Answer 400 to a request that breaks the spec, without forwarding it.",
)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
)
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    default="info",
    show_default=True,
)
@click.option(
    "--max-body-mib",
    type=click.FloatRange(min=0, min_open=True, max=1024),
    default=8.0,
    show_default=True,
    help="Answers longer than this stream through unchecked and are recorded by status and size only.",
)
def proxy(
    upstream: str,
    host: str,
    port: int,
    record_dir: Path | None,
    strict: bool,
    spec_path: Path | None,
    log_level: str,
    max_body_mib: float,
) -> None:
    """Forward every request to UPSTREAM, check both sides against the spec, optionally record scenarios."""
    import logging

    import uvicorn

    from profile_harness.contract.proxy import create_proxy
    from profile_harness.contract.spec import load_contract

    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    app = create_proxy(
        upstream,
        contract=load_contract(spec_path),
        strict=strict,
        record_dir=record_dir,
        max_body=int(max_body_mib * 1024 * 1024),
    )
    mode = " (strict)" if strict else ""
    click.echo(f"profile-harness proxy on http://{host}:{port} -> {upstream}{mode}")
    uvicorn.run(app, host=host, port=port, log_level=log_level)
