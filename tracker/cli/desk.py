"""`tracker web`, `tracker users` and `tracker tokens`: the editor's desk and who may use it."""

from __future__ import annotations

import json
import secrets
import sys
from typing import Annotated

import typer

from tracker.cli.base import JsonFlag, app, fail, group, wiring
from tracker.cli.output import table, when

users_app = group(help="People who log in to the desk.")
tokens_app = group(help="API tokens for programs.")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")

RoleOption = Annotated[
    str, typer.Option("--role", help="viewer (reads), editor (works the queue), admin (all).")
]


@app.command()
def web(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the editor's desk and the API; `tracker worker` and `tracker beat` poll beside it."""
    import uvicorn

    from tracker.web.app import create_app

    with wiring() as tracker:
        settings = tracker.settings
        bind_host, bind_port = (
            host or settings.web_host,
            settings.web_port if port is None else port,
        )
        typer.echo(f"desk: http://{bind_host}:{bind_port}/  (API: /api/v1/docs)", err=True)
        uvicorn.run(
            create_app(tracker),
            host=bind_host,
            port=bind_port,
            log_level=settings.log_level.lower(),
            proxy_headers=True,
            server_header=False,
        )


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="The login name.")],
    role: RoleOption = "editor",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a user; asks for the password (or reads it from stdin), or makes one and shows it."""
    from tracker.bootstrap import utcnow
    from tracker.services import accounts

    generated = False
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = typer.prompt("Password (empty: generate one)", default="", hide_input=True)
    else:
        password = ""
    if not password:
        password, generated = secrets.token_urlsafe(12), True
    with wiring() as tracker, tracker.db.unit_of_work() as uow:
        try:
            accounts.add_user(uow, username, password, role, utcnow())
        except accounts.AccountError as exc:
            fail(str(exc))
        uow.commit()
    typer.echo(f"added {username} ({role})")
    if generated:
        typer.echo(f"password (shown once): {password}")


@users_app.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    """List users and their roles."""
    with wiring() as tracker, tracker.db.reader() as uow:
        rows = [(u.username, u.role, u.disabled, u.created_at) for u in uow.accounts.users()]
    if as_json:
        for name, role, disabled, created in rows:
            payload = {"username": name, "role": role, "disabled": disabled}
            typer.echo(json.dumps({**payload, "created_at": created.isoformat()}))
        return
    body = [[n, r, "disabled" if d else "active", when(c)] for n, r, d, c in rows]
    typer.echo(table(["USER", "ROLE", "STATE", "CREATED"], body) if body else "no users")


@tokens_app.command("create")
def tokens_create(
    role: RoleOption = "viewer",
    name: Annotated[str | None, typer.Option(help="What the token is for.")] = None,
) -> None:
    """Create an API token; it is printed once (only its hash is kept)."""
    from tracker.bootstrap import utcnow
    from tracker.services import accounts

    with wiring() as tracker, tracker.db.unit_of_work() as uow:
        try:
            token_id, token = accounts.create_token(uow, role, name, utcnow())
        except accounts.AccountError as exc:
            fail(str(exc))
        uow.commit()
    typer.echo(f"token {token_id} ({role}); use it as `Authorization: Bearer <token>`.", err=True)
    typer.echo("It is shown this once:", err=True)
    typer.echo(token)


@tokens_app.command("list")
def tokens_list(as_json: JsonFlag = False) -> None:
    """List tokens (never the tokens themselves)."""
    with wiring() as tracker, tracker.db.reader() as uow:
        rows = [
            (t.id, t.name, t.role, t.created_at, t.last_used_at, t.revoked_at)
            for t in uow.accounts.tokens()
        ]
    if as_json:
        for ident, name, role, created, used, revoked in rows:
            typer.echo(
                json.dumps(
                    {
                        "id": ident,
                        "name": name,
                        "role": role,
                        "created_at": created.isoformat(),
                        "last_used_at": used.isoformat() if used else None,
                        "revoked_at": revoked.isoformat() if revoked else None,
                    }
                )
            )
        return
    body = [
        [i, n, r, when(c), when(u) if u else "never", "revoked" if v else "active"]
        for i, n, r, c, u, v in rows
    ]
    header = ["ID", "NAME", "ROLE", "CREATED", "LAST USED", "STATE"]
    typer.echo(table(header, body) if body else "no tokens")


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[str, typer.Argument(help="The token's id.")]) -> None:
    """Revoke a token: it stops working at once."""
    from tracker.bootstrap import utcnow
    from tracker.services import accounts

    with wiring() as tracker, tracker.db.unit_of_work() as uow:
        try:
            accounts.revoke_token(uow, token_id, utcnow())
        except accounts.AccountError as exc:
            fail(str(exc))
        uow.commit()
    typer.echo(f"revoked {token_id}")
