/**
 * The {@code hnswseg} command line ({@code bin/hnswseg}): one picocli subcommand per class. Commands print
 * human-readable tables and, with {@code --json}, machine-readable files; bad input ends with a one-line
 * error and exit code 1 (usage errors: 2), never a bare stack trace.
 */
package io.hnswseg.cli;
