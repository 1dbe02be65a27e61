package io.hnswseg.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code bin/hnswseg} (every subcommand except those it runs on Spark's classpath, {@link Launched}). */
@Command(name = "hnswseg", mixinStandardHelpOptions = true, version = UsageErrors.VERSION,
        description = "Build, query and serve HNSW vector indexes.",
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
        CommandLine cli = new CommandLine(new HnswsegCli());
        Launched.addTo(cli);
        UsageErrors.install(cli, null);
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

    /**
     * A command {@code bin/hnswseg} runs itself, on spark-job's classpath or in the script: listed here so that the help
     * names it and a misspelling is told it ("vacum" was offered eval, probe helper 81). Reached here only when this
     * class is run without the script.
     */
    @Command(mixinStandardHelpOptions = true)
    static final class Launched implements Callable<Integer> {

        private final String name;

        @CommandLine.Unmatched
        List<String> args;

        private Launched(String name) {
            this.name = name;
        }

        static void addTo(CommandLine cli) {
            String[][] commands = {
                {"build", "Build an index with the Spark job (local mode through bin/hnswseg; bin/hnswseg build --help)."},
                {"search-job", "Batch k-nearest-neighbour search of a query table with Spark (bin/hnswseg search-job --help)."},
                {"vacuum", "Remove files of failed or replaced builds from an index's directory (bin/hnswseg vacuum --help)."},
                {"to-parquet", "Write an .fvecs or .bvecs file as a Parquet table, in Spark (bin/hnswseg to-parquet --help)."},
                {"demo", "The whole pipeline on generated data: generate, build, eval."}};
            for (String[] command : commands) {
                CommandLine sub = new CommandLine(new Launched(command[0]));
                sub.getCommandSpec().usageMessage().description(command[1]);
                cli.addSubcommand(command[0], sub);
            }
        }

        @Override
        public Integer call() {
            System.err.println("hnswseg " + name + ": runs through bin/hnswseg " + name + " (it needs spark-job's classpath or the script)");
            return 2;
        }
    }
}
