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

    /**
     * The same client (what it learned about the members and the leader) with another deadline per
     * request: the failover client, which gives up on a request sent to the departed leader soon.
     */
    Client withAskTimeout(Duration askTimeout);

    /** Releases what the client holds in its ActorSystem. */
    @Override
    void close();
  }

  /** What the settings line says about this path. */
  String description();

  /** A new client object with the framework's default per-request deadline. */
  Client newClient();
}
