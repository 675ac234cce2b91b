package io.pekkoraft.benchmarks;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.core.StateMachineAdapter;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * W1's register as a SOFAJRaft state machine: one {@code long} starting at 0; each entry's first eight bytes
 * are a big-endian increment, added to it. On the leader the entry's closure (an {@link AddClosure}) gets the
 * new value and answers the client. No snapshots: {@code onSnapshotSave} is never called, as the members have
 * no snapshot URI.
 */
final class SofaJRaftRegister extends StateMachineAdapter {

  /** Answers one client once its entry is applied on the leader, or failed (with SOFAJRaft's status). */
  abstract static class AddClosure implements Closure {
    long value;
  }

  private volatile long value;
  /** Completed with {@link System#nanoTime()} when this member first becomes leader. */
  private final CompletableFuture<Long> leaderStarted = new CompletableFuture<>();

  @Override
  public void onApply(Iterator iter) {
    while (iter.hasNext()) {
      ByteBuffer data = iter.getData();
      if (data.remaining() < Long.BYTES) {
        throw new IllegalStateException("SOFAJRaft register: entry " + iter.getIndex() + " of term " + iter.getTerm()
            + " has " + data.remaining() + " bytes, fewer than the 8 of an increment");
      }
      long next = value + data.getLong(data.position());
      value = next;
      Closure done = iter.done();
      if (done != null) {
        ((AddClosure) done).value = next;
        done.run(Status.OK());
      }
      iter.next();
    }
  }

  @Override
  public void onLeaderStart(long term) {
    leaderStarted.complete(System.nanoTime());
    super.onLeaderStart(term);
  }

  long value() {
    return value;
  }

  CompletableFuture<Long> leaderStarted() {
    return leaderStarted;
  }
}
