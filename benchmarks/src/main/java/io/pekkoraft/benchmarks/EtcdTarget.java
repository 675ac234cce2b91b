package io.pekkoraft.benchmarks;

import java.util.List;
import java.util.Map;

/**
 * A three-member cluster serving etcd's v3 API that {@code bin/bench etcd} measures: ours
 * ({@link PekkoRaftEtcdTarget}) or etcd itself ({@link EtcdProcessTarget}). {@link #close()} stops it and
 * deletes its data.
 */
interface EtcdTarget extends AutoCloseable {

  /** The output lines' {@code peer}. */
  String peer();

  /** The output lines' {@code version}: the peer's. */
  String version();

  /** Every member's client endpoint, {@code http://127.0.0.1:<port>}, as jetcd takes them. */
  List<String> endpoints();

  /**
   * CPU time so far of the target's processes other than this JVM (0 when the members are in this JVM), -1 when
   * the system does not report it.
   */
  long otherProcessesCpuNanos();

  /** What the settings line says about this cluster (its settings, where its data is). */
  Map<String, Object> settings();

  @Override
  void close();
}
