package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.AppliedCommand;
import io.pekkoraft.consensus.RaftException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.pekko.annotation.InternalApi;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * A watch of an {@link AppliedHistory} from an index on, as a Pekko Streams source: it reads only when its
 * consumer asks (at most {@link #READ_MAX} commands ahead), so a slow consumer holds no more than that; one that
 * falls so far behind that the history dropped its next index fails with {@link RaftException.WatchFromTooOld},
 * never skipping. It fails with {@link RaftException.ServerStopped} when the member's server stops, as nothing
 * will be applied here any more; it never completes on its own.
 */
@InternalApi
public final class AppliedSource<C, R> extends GraphStage<SourceShape<AppliedCommand<C, R>>> {

  /** Commands taken from the history in one read. */
  static final int READ_MAX = 32;

  private final Outlet<AppliedCommand<C, R>> out = Outlet.create("AppliedSource.out");
  private final SourceShape<AppliedCommand<C, R>> shape = SourceShape.of(out);
  private final AppliedHistory history;
  private final long fromIndex;
  private final CompletionStage<String> serverStopped;
  private final Function<String, String> describe;

  /**
   * @param serverStopped completes, with why, when the member's server stops
   * @param describe the watch's description for error messages, given what happened
   */
  public AppliedSource(AppliedHistory history, long fromIndex, CompletionStage<String> serverStopped,
      Function<String, String> describe) {
    if (fromIndex < 1) throw new IllegalArgumentException("a watch starts at index 1 or later, not " + fromIndex);
    this.history = history;
    this.fromIndex = fromIndex;
    this.serverStopped = serverStopped;
    this.describe = describe;
  }

  @Override
  public SourceShape<AppliedCommand<C, R>> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new GraphStageLogic(shape) {
      private final ArrayDeque<AppliedCommand<?, ?>> read = new ArrayDeque<>();
      private long next = fromIndex;
      private AsyncCallback<Object> woken;
      private Runnable wake;
      private AtomicReference<AsyncCallback<Object>> untilStop;
      private boolean started;

      {
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            deliver();
          }
        });
      }

      @Override
      public void preStart() {
        woken = createAsyncCallback(signal -> {
          if (signal instanceof String reason) {
            failStage(new RaftException.ServerStopped(describe.apply("the server stopped (" + reason
                + "); nothing more is applied here: resume on another member from index " + next)));
          } else if (isAvailable(out)) {
            deliver();
          }
        });
        wake = () -> woken.invoke(Boolean.TRUE);
        history.readerStarted();
        started = true;
        // The server's stop outlives every watch: the callback left on it lets go of this stage once it stops.
        AtomicReference<AsyncCallback<Object>> stopped = new AtomicReference<>(woken);
        untilStop = stopped;
        serverStopped.thenAccept(reason -> {
          AsyncCallback<Object> callback = stopped.getAndSet(null);
          if (callback != null) callback.invoke(reason == null ? "stopped" : reason);
        });
      }

      @SuppressWarnings("unchecked")
      private void deliver() {
        if (read.isEmpty()) {
          long tooOld = history.read(next, READ_MAX, read, wake);
          if (tooOld != 0) {
            failStage(new RaftException.WatchFromTooOld(describe.apply("index " + next + " is no longer held here: this"
                + " member holds the applied commands from index " + tooOld + " on (pekko-raft.watch.buffer-entries,"
                + " and none before a snapshot it restored)"), next, tooOld));
            return;
          }
          if (read.isEmpty()) return; // woken after the next batch
        }
        AppliedCommand<C, R> command = (AppliedCommand<C, R>) read.poll(); // the group's own types
        next = command.index() + 1;
        push(out, command);
      }

      @Override
      public void postStop() {
        if (wake != null) history.cancel(wake);
        if (untilStop != null) untilStop.set(null);
        if (started) history.readerStopped();
      }
    };
  }
}
