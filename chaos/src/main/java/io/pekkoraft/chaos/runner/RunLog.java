package io.pekkoraft.chaos.runner;

import java.io.PrintStream;
import java.util.List;

/** A run's progress lines, each stamped with the time since the run started, and the errors its nodes logged. */
final class RunLog {

  private final PrintStream out;
  private final long startNanos;

  RunLog(PrintStream out, long startNanos) {
    this.out = out;
    this.startNanos = startNanos;
  }

  long elapsedMillis() {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  void say(String line) {
    long ms = elapsedMillis();
    synchronized (out) {
      out.printf("[%4d.%01ds] %s%n", ms / 1000, (ms % 1000) / 100, line);
      out.flush();
    }
  }

  /** Errors in the nodes' logs are worth a look even when the checks pass: they are listed. */
  void reportNodeLogs(List<NodeProcess> nodes) {
    for (NodeProcess node : nodes) {
      List<String> errors = node.logLines(line -> line.contains(" ERROR "));
      if (errors.isEmpty()) continue;
      say(node.id + " logged " + errors.size() + " errors, first: " + errors.get(0));
    }
  }
}
