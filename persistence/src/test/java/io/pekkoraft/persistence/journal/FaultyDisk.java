package io.pekkoraft.persistence.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A disk that fails on demand: a {@link ChannelOpener} whose channels throw "No space left on device"
 * on writes, fsyncs or truncations while the matching switch is on. It also counts fsyncs, remembers
 * how far each file was written and forced, and can hold the writer inside an fsync.
 */
final class FaultyDisk implements ChannelOpener {

  /** Used by {@link FaultInjectingJournal}, which Pekko constructs itself. */
  static final FaultyDisk SHARED = new FaultyDisk();

  volatile boolean failWrites;
  /** With failWrites: half of the write lands before the error, as when a disk fills up mid-write. */
  volatile boolean partialWrites = true;
  volatile boolean failForce;
  volatile boolean failTruncate;
  /** When set, a force waits for it (so that a test can fill the queue behind a slow disk). */
  volatile CountDownLatch forceGate;
  /** Guards {@link #writerAtGate}, and is signalled when a force starts waiting for {@link #forceGate}. */
  private final Object gateMonitor = new Object();
  /** True while a force waits for {@link #forceGate}. */
  private boolean writerAtGate;
  final AtomicInteger forces = new AtomicInteger();
  /** Highest end of a write, and the end as of the last successful force, of the last file written. */
  final AtomicLong written = new AtomicLong();
  final AtomicLong forced = new AtomicLong();

  /** Waits until the writer is held in a force by {@link #forceGate} (woken when it gets there). */
  void awaitWriterAtGate() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // only a bound for a failing test
    synchronized (gateMonitor) {
      while (!writerAtGate) {
        long left = deadline - System.nanoTime();
        if (left <= 0) throw new AssertionError("the writer never reached the fsync");
        TimeUnit.NANOSECONDS.timedWait(gateMonitor, left);
      }
    }
  }

  private void atGate(boolean waiting) {
    synchronized (gateMonitor) {
      writerAtGate = waiting;
      gateMonitor.notifyAll();
    }
  }

  void heal() {
    failWrites = false;
    failForce = false;
    failTruncate = false;
    forceGate = null;
  }

  @Override
  public FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException {
    return new Channel(FileChannel.open(path, options));
  }

  private static IOException diskFull() {
    return new IOException("No space left on device (injected)");
  }

  private final class Channel extends FileChannel {
    private final FileChannel inner;

    Channel(FileChannel inner) {
      this.inner = inner;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return inner.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      return inner.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      if (failWrites) throw diskFull();
      return inner.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      if (failWrites) throw diskFull();
      return inner.write(srcs, offset, length);
    }

    @Override
    public long position() throws IOException {
      return inner.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
      inner.position(newPosition);
      return this;
    }

    @Override
    public long size() throws IOException {
      return inner.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      if (failTruncate) throw diskFull();
      inner.truncate(size);
      return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      CountDownLatch gate = forceGate;
      if (gate != null) {
        atGate(true);
        try {
          gate.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          atGate(false);
        }
      }
      if (failForce) throw diskFull();
      inner.force(metaData);
      forces.incrementAndGet();
      forced.set(written.get());
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
      return inner.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
      if (failWrites) throw diskFull();
      return inner.transferFrom(src, position, count);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return inner.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      if (failWrites) {
        if (partialWrites && src.remaining() > 1) {
          ByteBuffer half = src.duplicate();
          half.limit(half.position() + src.remaining() / 2);
          inner.write(half, position);
        }
        throw diskFull();
      }
      int n = inner.write(src, position);
      written.accumulateAndGet(position + n, Math::max);
      return n;
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
      return inner.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      return inner.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      return inner.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
      inner.close();
    }
  }
}
