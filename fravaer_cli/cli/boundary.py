"""The one error boundary, and Norwegian help screens, through Click's public hooks.

Every exit code and error message is decided in FravaerGroup.main. Click's own
usage errors are said in Norwegian from the exception's type and attributes
(never from its English text); help screens get their Norwegian words from a
formatter class set on the context.
"""

import os
import re
import sys
from typing import TYPE_CHECKING, Any

# Typer < 0.26 runs on the separately installed Click (pinned in pyproject.toml),
# so Click's exceptions are the ones raised here. TyperGroup and TyperCommand
# are the only pieces of Typer's internals used: a later Typer changes this module.
import click
import typer
from typer.core import TyperCommand, TyperGroup

from fravaer_cli import __version__, interrupts
from fravaer_cli.domain.errors import FravaerError
from fravaer_cli.output import formats

COMPLETE_VAR = "_FRAVAER_COMPLETE"
HELP_OPTION_HELP = "Vis denne hjelpen og avslutt."
_HEADINGS = {
    "Options": "Valg",
    "Commands": "Kommandoer",
    "Arguments": "Argumenter",
    "Positional arguments": "Argumenter",
}
# The bracket Click and Typer put after an option's help: [default: x; required].
_EXTRAS = re.compile(r"\[([^\[\]]*)\]$")
_EXTRA_WORDS = (("default: ", "standard: "), ("env var: ", "miljøvariabel: "), ("required", "påkrevd"))


class NorwegianHelpFormatter(click.HelpFormatter):
    def write_usage(self, prog, args="", prefix=None):
        super().write_usage(prog, args, "Bruk: " if prefix is None else prefix)

    def section(self, name):
        return super().section(_HEADINGS.get(name, name))

    def write_dl(self, rows, col_max=30, col_spacing=2):
        super().write_dl([(term, _norwegian_extras(text)) for term, text in rows], col_max, col_spacing)


def _norwegian_extras(text: str) -> str:
    def translate(match) -> str:
        parts = []
        for part in match[1].split("; "):
            for english, norwegian in _EXTRA_WORDS:
                if part.startswith(english):
                    part = norwegian + part[len(english) :]
            parts.append(part)
        return f"[{'; '.join(parts)}]"

    return _EXTRAS.sub(translate, text)


class NorwegianContext(click.Context):
    formatter_class = NorwegianHelpFormatter


class _NorwegianHelpOption(click.Command):
    """The help option's own text, which Click writes in English."""

    context_class: type[click.Context] = NorwegianContext

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION_HELP
        return option


class UnexpectedArguments(click.UsageError):
    """Arguments a command does not take, carried as data (Click says it only in its message)."""

    def __init__(self, arguments: list[str], ctx: click.Context):
        super().__init__(f"Uventet argument: {' '.join(arguments)}", ctx)
        self.arguments = arguments


class FravaerCommand(_NorwegianHelpOption, TyperCommand):
    def parse_args(self, ctx, args):
        # Extra arguments are let through and refused here, so that the error carries them.
        ctx.allow_extra_args = True
        rest = super().parse_args(ctx, args)
        if rest and not ctx.resilient_parsing:
            raise UnexpectedArguments(rest, ctx)
        return rest


class FravaerSubGroup(_NorwegianHelpOption, TyperGroup):
    """A group of commands under fravaer (database, access): its errors end at the root's boundary."""


class FravaerGroup(_NorwegianHelpOption, TyperGroup):
    """The one error boundary: every exit code and error message is decided here."""

    # Commands and groups built only when named (or listed), in the order of --help:
    # name -> a Typer of that one command, or (module, attribute of its Typer) for a group.
    # Typer builds a command from its function's signature, each in turn: a call needs one.
    lazy: dict[str, typer.Typer | tuple[str, str]] = {}

    def list_commands(self, ctx):
        return [*(name for name in super().list_commands(ctx) if name not in self.lazy), *self.lazy]

    def get_command(self, ctx, name):
        if name in self.lazy and name not in self.commands:
            from typer.main import get_command

            source: Any = self.lazy[name]
            if isinstance(source, tuple):
                import importlib

                module, attribute = source
                source = getattr(importlib.import_module(module), attribute)
            command = get_command(source)
            command.name = name
            self.add_command(command, name)
        return super().get_command(ctx, name)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """The one place a call ends: every error becomes one or a few Norwegian lines and the
        SPEC's exit code, and nothing else sets one (a command returns its code)."""
        args = list(sys.argv[1:] if args is None else args)
        stored: list[str] = []  # what the command has stored (record_stored)
        try:
            with interrupts.handled():
                if os.environ.get(complete_var or COMPLETE_VAR):
                    # Shell completion answers through Click's own protocol, and ends the process.
                    _typer_completion()
                    result = super().main(args, prog_name or "fravaer", complete_var, standalone_mode=False, **extra)
                else:
                    result = self._invoke(prog_name or "fravaer", args, stored, extra)
            code = result if isinstance(result, int) else 0
            sys.stdout.flush()  # so that a full disk or a closed stream is met here, not after the boundary
        except FravaerError as e:
            code = fail(str(e), e.exit_code)
        except click.exceptions.ClickException as e:
            code = self._usage_error(e, args)
        except interrupts.Interrupted as e:
            if e.after_commit or interrupts.stored():
                code = fail("Avbrutt etter at endringen var lagret: den er lagret helt.", 130)
            else:
                code = fail("Avbrutt." + (f" {'; '.join(stored)}." if stored else ""), 130)
        except (click.exceptions.Abort, KeyboardInterrupt):
            code = fail("Avbrutt.", 130)
        except BrokenPipeError:
            # The reader went away (| head) after all was written; nothing more to say to it.
            sys.stderr.close()
            code = 0
        except OSError as e:
            code = _os_error(e, stored)
        except Exception as e:  # a bug: say so in one line, trace only on request
            if os.environ.get("FRAVAER_DEBUG") == "1":
                import traceback

                traceback.print_exc()
            code = fail(
                f"Intern feil i fravaer {__version__} ({type(e).__name__}: {e}). "
                "Dette er en feil i programmet; kjør med FRAVAER_DEBUG=1 for detaljer.",
                70,
            )
        if standalone_mode:
            sys.exit(code)
        return code

    def _invoke(self, prog_name: str, args: list[str], stored: list[str], extra: dict):
        """The command, through Click's public make_context and invoke; its result is its exit code."""
        try:
            with self.make_context(prog_name, args, **extra) as ctx:
                ctx.meta[STORED] = stored  # every context of the call shares its root's meta
                return self.invoke(ctx)
        except EOFError as e:  # standard input closed at a prompt
            print(file=sys.stderr)
            raise click.exceptions.Abort() from e
        except click.exceptions.Exit as e:
            return e.exit_code
        except BrokenPipeError:
            # The reader went away (| head) while the command was writing: end quietly, and keep
            # Python from complaining when it flushes standard out on the way out.
            sys.stdout = click.utils.PacifyFlushWrapper(sys.stdout)  # type: ignore[operator]  # untyped in Click
            return 1

    def _usage_error(self, e: click.exceptions.ClickException, args: list[str]) -> int:
        """Click's usage errors in Norwegian, from the exception's type and attributes."""
        ctx = getattr(e, "ctx", None)
        if isinstance(e, click.exceptions.NoArgsIsHelpError):
            print(e.ctx.get_help())
            return 0
        hint = f"Se «{self._command_path(ctx, args)} --help»."
        commands = ", ".join(self.list_commands(ctx))
        if isinstance(e, click.exceptions.NoSuchCommand):
            # The group it was asked of; Click looks for close names only among the commands built so far.
            import difflib

            group = e.ctx.command if e.ctx is not None else self
            names = group.list_commands(e.ctx) if isinstance(group, click.Group) and e.ctx is not None else []
            near = difflib.get_close_matches(e.command_name or "", names)
            close = f" Mente du {', '.join(near)}?" if near else ""
            return fail(f"Ukjent kommando: «{e.command_name}».{close} Kommandoer: {', '.join(names)}.", 2)
        if isinstance(e, click.exceptions.NoSuchOption):
            name = e.option_name.split("=", 1)[0]
            command = self._subcommand(args)
            if command is not None and any(name in p.opts for p in self.params):
                return fail(
                    f"{name} er et valg for fravaer selv og står foran kommandoen: "
                    f"«fravaer {name} ... {command.name} ...». Se «fravaer --help».",
                    2,
                )
            maybe = f" Mente du {', '.join(e.possibilities)}?" if e.possibilities else ""
            return fail(f"Ukjent valg: {e.option_name}.{maybe} {hint}", 2)
        if isinstance(e, click.exceptions.MissingParameter) and e.param is not None:
            missing = e.param
            name = (
                "/".join(missing.opts) if missing.param_type_name == "option" else missing.human_readable_name.upper()
            )
            return fail(f"Mangler {name}. {hint}", 2)
        if isinstance(e, click.exceptions.BadOptionUsage):
            if self._is_flag(e.option_name, args):
                return fail(f"Valget {e.option_name} tar ingen verdi. {hint}", 2)
            return fail(f"Valget {e.option_name} må ha en verdi. {hint}", 2)
        if isinstance(e, click.exceptions.BadParameter):
            which = e.param.opts[0] if e.param is not None and e.param.opts else "verdien"
            return fail(f"Ugyldig verdi for {which}: {e.message} {hint}", 2)
        if isinstance(e, UnexpectedArguments):
            return fail(f"Uventet argument: {' '.join(e.arguments)}. {hint}", 2)
        if type(e) is click.UsageError and ctx is not None and isinstance(ctx.command, click.Group):
            # The one plain usage error a group raises: options, but no command.
            return fail(f"Mangler kommando. Kommandoer: {commands}. {hint}", 2)
        return fail(f"Feil bruk av kommandoen: {e.format_message()} {hint}", 2)

    def _subcommand(self, args: list[str]):
        """The command named in the arguments, for errors that Click raises without a context."""
        return next((self.get_command(None, a) for a in args if a in self.list_commands(None)), None)

    def _command_path(self, ctx, args: list[str]) -> str:
        if ctx is not None and ctx.parent is not None:
            return ctx.command_path
        command = self._subcommand(args)
        return f"fravaer {command.name}" if command is not None else "fravaer"

    def _is_flag(self, option_name: str, args: list[str]) -> bool:
        command = self._subcommand(args)
        params = [*self.params, *(command.params if command is not None else [])]
        return any(option_name in p.opts and getattr(p, "is_flag", False) for p in params)


def _typer_completion() -> None:
    # Typer's completion scripts and protocol (completions/), without
    # its --install-completion options, which guess the shell.
    from click.shell_completion import add_completion_class, get_completion_class
    from typer.completion import completion_init

    completion_init()
    for shell, mixin in (("bash", _QuotingBash), ("zsh", _ZshAnswer), ("fish", _FishAnswer)):
        typer_class = get_completion_class(shell)
        if typer_class is not None and not issubclass(typer_class, mixin):
            add_completion_class(type(mixin.__name__.lstrip("_"), (mixin, typer_class), {}), shell)


def _offers_files(items) -> str | None:
    """The kind, file or dir, when the value being completed is a file or a folder
    (options._PathCompleting); None for every other value, for which the shell must not fall back
    to the folder's file names."""
    return next((item.type for item in items if item.type in ("file", "dir")), None)


if TYPE_CHECKING:  # the mixins below go before Typer's classes; Click's module only for mypy
    from click.shell_completion import ShellComplete as _Completion
else:
    _Completion = object


class _QuotingBash(_Completion):
    """Bash inserts a completion as it is given: «Ingrid Solberg» unquoted is two words on
    Enter. A value with a space or a character the shell acts on is given quoted (zsh and
    fish quote it themselves)."""

    def format_completion(self, item) -> str:
        import re
        import shlex

        value = str(item.value)
        return shlex.quote(value) if re.search(r"[\s'\"\\$`!&;|<>()*?\[\]#~{}]", value) else value

    def complete(self) -> str:
        args, incomplete = self.get_completion_args()
        if _offers_files(self.get_completions(args, incomplete)):
            return ""  # no answer: the script's `complete -o default` offers the file names
        return super().complete()


# When zsh finds _fravaer on fpath (compinit), the file is the function: the first TAB runs it,
# and a file that only registered the function (as Typer's does) completed nothing on that TAB.
# Registered, the function answers the next ones; loaded that way, it answers this one too.
_ZSH_SCRIPT = """\
#compdef %(prog_name)s

%(complete_func)s() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" %(autocomplete_var)s=complete_zsh %(prog_name)s)
}

compdef %(complete_func)s %(prog_name)s
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  %(complete_func)s "$@"
fi
"""


def _zsh_quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


class _ZshAnswer(_Completion):
    """What zsh runs for a TAB. Typer's answer (_arguments with the values) lets zsh keep only the
    values that start with the word typed, so `--virksomhet DDFL` never became 910000004 and
    `--behandler ast` never «Astrid Info»; and when nothing was offered it said _files, so a TAB
    after a complete value put a file name on the line. fravaer has already chosen the values
    (a part of an office's name, folded GP names): when zsh would drop some, they are added as
    they are (compadd -U, which puts the one value in place of the word); a file or folder gets
    _files; anything else with no values gets nothing."""

    source_template = _ZSH_SCRIPT

    def complete(self) -> str:
        args, incomplete = self.get_completion_args()
        items = self.get_completions(args, incomplete)
        kind = _offers_files(items)
        if kind is not None:
            return "_files -/" if kind == "dir" else "_files"
        if not items:
            return "return 1"
        if all(str(item.value).startswith(incomplete) for item in items):
            return super().complete()
        # The answer is eval'd after word splitting: each value and description is one quoted word.
        values = " ".join(_zsh_quoted(str(item.value)) for item in items)
        shown = " ".join(
            _zsh_quoted(f"{item.value}  -- {item.help}" if item.help else str(item.value)) for item in items
        )
        # Several: zsh would put what they start with in place of the word (often «9»); the word
        # stays as typed instead, and the values are listed.
        keep = "; compstate[insert]=''" if len(items) > 1 else ""
        return f"local -a _fravaer_shown; _fravaer_shown=({shown}); compadd -U -l -d _fravaer_shown -- {values}{keep}"


class _FishAnswer(_Completion):
    """fish offers the folder's file names whenever the script's condition (is-args) fails, and
    Typer's fails whenever there is nothing to offer: after a complete value, `--until-workday
    lager/910000004.log`. Here it fails only for a file or a folder, and fish then offers files."""

    def complete(self) -> str:
        if os.environ.get("_TYPER_COMPLETE_FISH_ACTION") == "is-args":
            args, incomplete = self.get_completion_args()
            sys.exit(1 if _offers_files(self.get_completions(args, incomplete)) else 0)
        return super().complete()


def completion_script(root: click.Command, shell: str) -> str:
    """The script for `fravaer completion SHELL` (and completions/): what
    `_FRAVAER_COMPLETE=source_SHELL fravaer` prints, made by the same classes, without its
    leading blank line: zsh's compinit takes a file on fpath only when `#compdef` is its
    first line."""
    from click.shell_completion import get_completion_class

    _typer_completion()
    completion = get_completion_class(shell)
    if completion is None:
        raise click.BadParameter(f"ukjent skall «{shell}»")
    return completion(root, {}, "fravaer", COMPLETE_VAR).source().lstrip("\n")


def fail(message: str, code: int) -> int:
    print(formats.printable(message, keep="\n"), file=sys.stderr)
    return code


# The key, in the context's meta, of what a command has stored: said when its output then
# cannot be written, or Ctrl-C comes before it has said so itself.
STORED = "fravaer.stored"


def record_stored(ctx: click.Context, what: str) -> None:
    """The command has stored something ("Fravær 3 er lagret"): from now on, an error says so."""
    ctx.meta.setdefault(STORED, []).append(what)


def _os_error(error: OSError, stored: list[str]) -> int:
    """An OSError that reached the boundary. The store's own are StoreErrors by now: one that names
    a file is about that file (a folder given for database dump, say), exit 5; one that names none
    is standard output that could not be written (a full disk, a closed stream). A change already
    stored stays stored and the command's exit code is 0; a command whose whole result was its
    output exits 5."""
    import errno

    from fravaer_cli.domain.errors import os_reason

    if error.filename is not None:
        also = f" {'; '.join(stored)}." if stored else " Ingenting er endret."
        return fail(f"Kunne ikke bruke {error.filename}: {os_reason(error)}.{also}", 5)
    reason = "standard ut er lukket" if error.errno == errno.EBADF else os_reason(error)
    if stored:
        return fail(f"{'; '.join(stored)}, men utdata kunne ikke skrives til standard ut: {reason}.", 0)
    return fail(f"Kunne ikke skrive til standard ut: {reason}. Ingenting er endret.", 5)
