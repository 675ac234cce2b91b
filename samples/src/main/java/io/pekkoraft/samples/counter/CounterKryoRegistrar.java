package io.pekkoraft.samples.counter;

import com.esotericsoftware.kryo.Kryo;
import io.pekkoraft.persistence.serialization.KryoRegistrar;

/**
 * Registers the counter's command and query with Kryo, so that they can travel between nodes and be
 * stored in the Raft log. Listed in {@code counter.conf} under {@code pekko-raft.serialization.registrars}.
 * The result, a {@code Long}, is one of Kryo's own types and needs no id.
 *
 * <p>Applications use ids from 1000 up. Never change or reuse an id once a log holds it.
 */
public final class CounterKryoRegistrar implements KryoRegistrar {

  public CounterKryoRegistrar() {}

  @Override
  public void register(Kryo kryo) {
    kryo.register(Counter.Increment.class, 1000);
    kryo.register(Counter.GetValue.class, 1001);
    // the replicated-behavior counter: its commands (they travel to the leader), its event (the log)
    kryo.register(CounterBehavior.Increment.class, 1002);
    kryo.register(CounterBehavior.GetValue.class, 1003);
    kryo.register(CounterBehavior.Incremented.class, 1004);
  }
}
