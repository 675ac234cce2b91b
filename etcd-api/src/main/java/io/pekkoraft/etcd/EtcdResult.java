package io.pekkoraft.etcd;

import io.pekkoraft.etcd.kv.EtcdError;

/**
 * What the etcd state machine answers, to a command or a query. Every result carries what a response header
 * needs (the store's revision, the Raft term of the latest entry applied) and the log index applied last.
 */
public sealed interface EtcdResult {

  long revision();

  long raftTerm();

  long appliedIndex();

  /**
   * Done: {@code response} holds the bytes of the etcd response message of the request ({@code TxnResponse} for
   * a Txn command, {@code RangeResponse} or {@code TxnResponse} for a read, {@code CompactionResponse}, ...);
   * {@code events} the bytes of a {@code WatchResponse} whose only field set is {@code events}: what the
   * command changed, in order (for Watch); empty when nothing changed.
   */
  record Done(byte[] response, byte[] events, long revision, long raftTerm, long appliedIndex)
      implements EtcdResult {}

  /** Refused, nothing changed: etcd's error. */
  record Refused(EtcdError error, long revision, long raftTerm, long appliedIndex) implements EtcdResult {}
}
