package io.pekkoraft.samples.lock;

import com.esotericsoftware.kryo.Kryo;
import io.pekkoraft.persistence.serialization.KryoRegistrar;

/**
 * Registers the lock's commands, query and results (and its snapshot, {@link LockStateMachine.LockState}) with
 * Kryo, so that they can travel between nodes and be stored in the Raft log and snapshots. Listed in
 * {@code lock.conf} under {@code pekko-raft.serialization.registrars}. Ids from 1100 up (the counter's are 1000
 * and 1001). Never change or reuse an id once a log holds it.
 */
public final class LockKryoRegistrar implements KryoRegistrar {

  public LockKryoRegistrar() {}

  @Override
  public void register(Kryo kryo) {
    kryo.register(LockStateMachine.Acquire.class, 1100);
    kryo.register(LockStateMachine.Renew.class, 1101);
    kryo.register(LockStateMachine.Release.class, 1102);
    kryo.register(LockStateMachine.GetLock.class, 1103);
    kryo.register(LockStateMachine.Acquired.class, 1104);
    kryo.register(LockStateMachine.Busy.class, 1105);
    kryo.register(LockStateMachine.Renewed.class, 1106);
    kryo.register(LockStateMachine.Released.class, 1107);
    kryo.register(LockStateMachine.Refused.class, 1108);
    kryo.register(LockStateMachine.Reason.class, 1109);
    kryo.register(LockStateMachine.LockState.class, 1110);
  }
}
