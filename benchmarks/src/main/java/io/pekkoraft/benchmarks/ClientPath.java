package io.pekkoraft.benchmarks;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * How the benchmark's clients reach the cluster. W1 measures the framework's normal client path; each
 * logical client gets its own client object from {@link #newClient}.
 */
interface ClientPath {

  /** One client object: submits a command and completes with the register's new value. */
  interface Client extends AutoCloseable {
    CompletionStage<Long> submit(Register.Add command);

    /** Releases what the client holds in its ActorSystem. */
    @Override
    void close();
  }

  /** What the settings line says about this path. */
  String description();

  /** A new client object with the framework's default per-request deadline. */
  Client newClient();

  /** A new client object that gives up on a request after {@code askTimeout} (the failover client). */
  Client newClient(Duration askTimeout);
}
