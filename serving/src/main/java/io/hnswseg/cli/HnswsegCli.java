package io.hnswseg.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code bin/hnswseg} (every subcommand except {@code build}, which runs the Spark job). */
@Command(name = "hnswseg", mixinStandardHelpOptions = true, version = "hnswseg 0.1.0",
        description = "Build, query and serve HNSW vector indexes.",
        footer = {"", "Also, through bin/hnswseg:",
                "  build       Run the Spark job in local mode (bin/hnswseg build --help).",
                "  search-job  Batch k-nearest-neighbour search of a query table with Spark",
                "                (bin/hnswseg search-job --help).",
                "  vacuum      Remove files of failed or replaced builds from an index's",
                "                directory (bin/hnswseg vacuum --help).",
                "  demo        The whole pipeline on generated data: generate, build, eval."},
        subcommands = {BenchCommand.class, GenerateCommand.class, QueryCommand.class, EvalCommand.class,
                InspectCommand.class, ServeCommand.class})
public final class HnswsegCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** What a reader command out of memory is told to raise. */
    private static final String MORE_MEMORY = "give the JVM more heap, HNSWSEG_JAVA_OPTS=-Xmx8g with bin/hnswseg";

    public static void main(String[] args) {
        System.exit(UsageErrors.execute(commandLine(), args, "hnswseg" + (args.length > 0 ? " " + args[0] : ""), MORE_MEMORY));
    }

    /** The configured command line: errors in user input print one line, not a stack trace. */
    static CommandLine commandLine() {
        CommandLine cli = UsageErrors.install(new CommandLine(new HnswsegCli()), null);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            String outOfMemory = UsageErrors.outOfMemory(e, MORE_MEMORY);
            commandLine.getErr().println("hnswseg " + commandLine.getCommandName() + ": error: "
                    + (outOfMemory != null ? outOfMemory : io.hnswseg.io.LocalFiles.describe(e)));
            if (Boolean.getBoolean("hnswseg.debug")) {
                e.printStackTrace(commandLine.getErr());
            }
            return 1;
        });
        return cli;
    }
}
