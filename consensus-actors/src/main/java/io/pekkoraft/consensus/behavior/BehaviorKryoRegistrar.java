package io.pekkoraft.consensus.behavior;

import com.esotericsoftware.kryo.Kryo;
import io.pekkoraft.persistence.serialization.KryoRegistrar;

/** Registers the replicated behaviors' log entries, snapshots and messages with Kryo (ids 300-319). */
public final class BehaviorKryoRegistrar implements KryoRegistrar {

  public BehaviorKryoRegistrar() {}

  @Override
  public void register(Kryo kryo) {
    kryo.register(EntityMessages.Proposal.class, 300);
    kryo.register(EntityMessages.Accepted.class, 301);
    kryo.register(EntityMessages.Duplicate.class, 302);
    kryo.register(EntityMessages.StaleTerm.class, 303);
    kryo.register(EntityMessages.Conflict.class, 304);
    kryo.register(EntityMessages.SeqNrQuery.class, 305);
    kryo.register(EntityMessages.StoreSnapshot.class, new StoreSnapshotSerializer(), 306);
    kryo.register(EntityMessages.CallerSnapshot.class, 307);
    kryo.register(EntityMessages.Deliver.class, 308);
    kryo.register(EntityMessages.Outcome.class, 309);
    kryo.register(EntityMessages.OutcomeKind.class, 310);
  }
}
