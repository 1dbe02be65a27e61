package io.hnswseg.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * How every hnswseg command answers options it cannot take: one line naming the option and the problem, picocli's
 * suggestions for a misspelt one, and where the options are listed. Picocli's default printed the whole usage after
 * the reason, which pushed the reason off a terminal's screen.
 */
public final class UsageErrors implements CommandLine.IParameterExceptionHandler {

    /** What {@code --version} prints, for every command. */
    public static final String VERSION = "hnswseg 0.1.0";

    private final String program;

    private UsageErrors(String program) {
        this.program = program;
    }

    /**
     * Installs the handler on {@code cli} and returns it; {@code program} names the command in messages
     * ({@code "hnswseg build"}), or is null to name it {@code hnswseg <subcommand>}.
     */
    public static CommandLine install(CommandLine cli, String program) {
        versioned(cli);
        return cli.setParameterExceptionHandler(new UsageErrors(program));
    }

    /** Every command's {@code --version} prints {@link #VERSION}: a subcommand's printed nothing (probe helper 81). */
    private static void versioned(CommandLine cli) {
        if (cli.getCommandSpec().version().length == 0) {
            cli.getCommandSpec().version(VERSION);
        }
        cli.getSubcommands().values().forEach(UsageErrors::versioned);
    }

    /**
     * Runs {@code cli} on {@code args}, numbers written as in {@link java.util.Locale#ROOT}, and returns its exit code; a
     * JVM out of memory prints one line saying what to
     * raise ({@code remedy}) and returns 1. Picocli hands its handlers exceptions only, and an OutOfMemoryError came out
     * as a bare stack trace (probe helper 78: query at a small heap, a build's sample on a small driver).
     */
    public static int execute(CommandLine cli, String[] args, String program, String remedy) {
        // One way of writing numbers whatever the user's locale: scripts read the commands' figures, and under ar, de
        // or th they came out with decimal commas and, in one inspect row, two scripts of digits (probe helper 89).
        // Put back afterwards: a test (or an application) calling in keeps its own locale for what runs next.
        java.util.Locale before = java.util.Locale.getDefault(java.util.Locale.Category.FORMAT);
        java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, java.util.Locale.ROOT);
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            System.err.println(program + ": error: " + outOfMemory(e, remedy));
            return 1;
        } finally {
            java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, before);
        }
    }

    /** {@code "out of memory (Java heap space); <remedy>"} when {@code e} or a cause is an OutOfMemoryError, else null. */
    public static String outOfMemory(Throwable e, String remedy) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutOfMemoryError) {
                return "out of memory (" + t.getMessage() + "); " + remedy;
            }
        }
        return null;
    }

    @Override
    public int handleParseException(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        String name = program != null ? program
                : command.getParent() == null ? command.getCommandName() : "hnswseg " + command.getCommandName();
        PrintWriter err = command.getErr();
        // Picocli reports missing options before unknown ones; a misspelt required option is both, and its
        // spelling is the news.
        java.util.List<String> unknown = command.getUnmatchedArguments();
        boolean unknownCommand = !command.getSubcommands().isEmpty() && !unknown.isEmpty() && !unknown.get(0).startsWith("-")
                && e instanceof CommandLine.UnmatchedArgumentException;
        if (unknownCommand) {
            // Picocli's "Unmatched argument at index 0: 'vacum'" for a command it does not have.
            err.println(name + ": error: unknown command '" + unknown.get(0) + "'");
        } else if (e instanceof CommandLine.MissingParameterException && !unknown.isEmpty()) {
            String kind = unknown.stream().allMatch(a -> a.startsWith("-")) ? "unknown option" : "unexpected argument";
            err.println(name + ": error: " + kind + (unknown.size() == 1 ? " " : "s ") + String.join(" ", unknown)
                    + "; " + e.getMessage());
        } else {
            // Picocli's message for a map option's malformed entry says "option option '--conf'".
            err.println(name + ": error: " + String.valueOf(e.getMessage()).replace("option option ", "option "));
        }
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("(" + name + " --help lists the " + (unknownCommand ? "commands)" : "options)"));
        return command.getCommandSpec().exitCodeOnInvalidInput();
    }
}
