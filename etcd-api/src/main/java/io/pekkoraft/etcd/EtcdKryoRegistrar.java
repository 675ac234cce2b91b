package io.pekkoraft.etcd;

import com.esotericsoftware.kryo.Kryo;
import io.pekkoraft.etcd.kv.EtcdError;
import io.pekkoraft.persistence.serialization.KryoRegistrar;

/**
 * Registers the etcd group's commands, queries, results and snapshot with Kryo (ids 1300 to 1369: the store's
 * 1300 to 1329, Lease's 1330 to 1339, Watch's 1340 to 1349, Cluster, Maintenance and Auth 1350 to 1369). Listed
 * in this module's reference.conf under {@code pekko-raft.serialization.registrars}. Never change or reuse an id once a
 * log holds it; new classes take the next free id.
 */
public final class EtcdKryoRegistrar implements KryoRegistrar {

  public EtcdKryoRegistrar() {}

  @Override
  public void register(Kryo kryo) {
    kryo.register(EtcdCommand.Txn.class, 1300);
    kryo.register(EtcdCommand.Compact.class, 1301);
    kryo.register(EtcdCommand.LeaseGrant.class, 1302);
    kryo.register(EtcdCommand.LeaseRevoke.class, 1303);
    kryo.register(EtcdCommand.LeaseExpire.class, 1304);
    kryo.register(EtcdQuery.Range.class, 1310);
    kryo.register(EtcdQuery.ReadTxn.class, 1311);
    kryo.register(EtcdQuery.Events.class, 1312);
    kryo.register(EtcdResult.Done.class, 1320);
    kryo.register(EtcdResult.Refused.class, 1321);
    kryo.register(EtcdError.class, 1322);
    kryo.register(EtcdStateMachine.Snapshot.class, 1325);
    kryo.register(EtcdQuery.Stats.class, 1350);
    kryo.register(EtcdQuery.Watch.class, 1340);
    kryo.register(EtcdQuery.LeaseTimeToLive.class, 1330);
    kryo.register(EtcdQuery.Leases.class, 1331);
    kryo.register(EtcdQuery.LeaseTtls.class, 1332);
    kryo.register(LessorActor.KeepAlive.class, 1333);
    kryo.register(LessorActor.KeepAliveAnswer.class, 1334);
    kryo.register(LessorActor.TimeToLive.class, 1335);
    kryo.register(LessorActor.TimeToLiveAnswer.class, 1336);
  }
}
