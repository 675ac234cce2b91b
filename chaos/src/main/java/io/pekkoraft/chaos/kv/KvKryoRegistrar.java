package io.pekkoraft.chaos.kv;

import com.esotericsoftware.kryo.Kryo;
import io.pekkoraft.persistence.serialization.KryoRegistrar;

/**
 * Registers the key-value store's commands, query and result with Kryo, so that they can travel between the
 * nodes and the chaos runner's clients and be stored in the Raft log. Listed in {@code chaos.conf} under
 * {@code pekko-raft.serialization.registrars}. The chaos module owns ids 1100-1199; never change or reuse
 * one once a log holds it (Read and Result gained fields after 1103 and 1104 were
 * first used: a chaos run starts from empty journals, so no log of an earlier run is read).
 */
public final class KvKryoRegistrar implements KryoRegistrar {

  public KvKryoRegistrar() {}

  @Override
  public void register(Kryo kryo) {
    kryo.register(KvStateMachine.Add.class, 1100);
    kryo.register(KvStateMachine.Write.class, 1101);
    kryo.register(KvStateMachine.Cas.class, 1102);
    kryo.register(KvStateMachine.Read.class, 1103);
    kryo.register(KvStateMachine.Result.class, 1104);
    kryo.register(KvStateMachine.AddUnique.class, 1105);
    kryo.register(KvStateMachine.Snapshot.class, 1106);
  }
}
