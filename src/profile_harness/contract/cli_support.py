"""What ``profile-harness validate`` does once click has read its options (kept out of cli.py)."""

from __future__ import annotations

from pathlib import Path

import click

from profile_harness.contract.auth import DEFAULT_IMS_URL, DEFAULT_SCOPES, AuthError, Credentials, ims_token
from profile_harness.contract.production import ProductionSandbox, is_production
from profile_harness.contract.validate import ValidateOptions, run_validation

__all__ = ["check_write_permission", "run_validate_command"]


def check_write_permission(allow_writes: int, sandbox: str | None, production_ok: bool) -> None:
    """Refuse writes without an explicitly named sandbox, or in one named like production unless told twice.

    This is the check before anything is sent; once the deployment answers, the run refuses writes
    too when it says the sandbox is production (``sandbox.type``), see ``run_validation``.
    """
    if not allow_writes:
        return
    if not sandbox:
        raise click.UsageError(
            "--allow-writes needs an explicitly named --sandbox (or PROFILE_HARNESS_SANDBOX)"
        )
    if is_production(sandbox) and allow_writes < 2 and not production_ok:
        raise click.UsageError(
            f"sandbox {sandbox!r} looks like production; writes there need --allow-writes twice "
            "(or --i-know-this-is-production)"
        )


def _credentials(
    token: str | None,
    client_id: str | None,
    client_secret: str | None,
    scopes: str | None,
    ims_url: str | None,
    api_key: str | None,
    org: str,
    sandbox: str,
) -> Credentials:
    if not token:
        if not (client_id and client_secret):
            raise click.UsageError("give --token, or --client-id and --client-secret for the IMS flow")
        try:
            token = ims_token(ims_url or DEFAULT_IMS_URL, client_id, client_secret, scopes or DEFAULT_SCOPES)
        except AuthError as exc:
            raise click.ClickException(str(exc)) from None
    key = api_key or client_id
    if not key:
        raise click.UsageError("give --api-key (or --client-id, which is the API key)")
    return Credentials(token=token, api_key=key, org=org, sandbox=sandbox)


def run_validate_command(
    *,
    base_url: str,
    token: str | None,
    client_id: str | None,
    client_secret: str | None,
    scopes: str | None,
    ims_url: str | None,
    api_key: str | None,
    org: str,
    sandbox: str | None,
    allow_writes: int,
    production_ok: bool,
    rate: float,
    max_examples: int,
    no_coverage: bool,
    no_fuzz: bool,
    operations: str | None,
    spec_path: Path | None,
    scenario_paths: tuple[Path, ...],
    junit_xml: Path | None,
    html_path: Path | None,
    timeout: float = 1800.0,
    request_timeout: float = 30.0,
    max_body_mib: float = 16.0,
) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from profile_harness.contract.reports import print_report, write_html, write_junit
    from profile_harness.contract.spec import load_contract
    from profile_harness.openapi.bundle import SpecError

    check_write_permission(allow_writes, sandbox, production_ok)
    credentials = _credentials(
        token, client_id, client_secret, scopes, ims_url, api_key, org, sandbox or "prod"
    )
    try:
        contract = load_contract(spec_path)
    except SpecError as exc:
        raise click.ClickException(str(exc)) from None
    options = ValidateOptions(
        base_url=base_url,
        credentials=credentials,
        contract=contract,
        allow_writes=bool(allow_writes),
        rate=rate,
        max_examples=max_examples,
        coverage=not no_coverage,
        fuzz=not no_fuzz,
        scenario_paths=list(scenario_paths) or [Path("scenarios")],
        operations=operations,
        timeout=request_timeout,
        total_timeout=timeout or None,
        max_body=int(max_body_mib * 1024 * 1024),
        production_confirmed=allow_writes >= 2 or production_ok,
    )
    console = Console()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("loading", total=None)
        started = [False]

        def on_step(name: str) -> None:
            if started[0]:
                progress.advance(task)
            started[0] = True
            progress.update(task, description=name)

        try:
            report = run_validation(
                options, on_total=lambda n: progress.update(task, total=n), on_step=on_step
            )
        except ProductionSandbox as exc:
            raise click.UsageError(str(exc)) from None
    print_report(report, console)
    if junit_xml:
        junit_xml.parent.mkdir(parents=True, exist_ok=True)  # as pytest's --junitxml does
        write_junit(report, junit_xml)
    if html_path:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        write_html(report, html_path)
        console.print(f"HTML report: {html_path}")
    if report.exit_code:
        raise SystemExit(report.exit_code)
