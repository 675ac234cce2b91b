package io.pekkoraft.etcd;

import com.google.protobuf.ByteString;
import io.pekkoraft.etcd.api.DeleteRangeRequest;
import io.pekkoraft.etcd.api.lock.Lock;
import io.pekkoraft.etcd.api.lock.LockRequest;
import io.pekkoraft.etcd.api.lock.LockResponse;
import io.pekkoraft.etcd.api.lock.UnlockRequest;
import io.pekkoraft.etcd.api.lock.UnlockResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * etcd's {@code v3lockpb.Lock}: the lock NAME is the {@link KeyQueue} under {@code NAME/}. {@code Lock} puts the
 * key {@code NAME/<lease hex>} with the request's lease (unless that lease's key is there already: then it waits
 * for its turn again, as etcd does), waits until its key is the oldest under the prefix and answers the key; its
 * create revision is the lock's fencing token, greater than every earlier holder's. The client keeps the lease
 * alive: when it expires or is revoked, the key goes and the next waiter gets the lock. {@code Unlock} deletes the
 * key. A waiter whose own key is deleted before its turn is answered UNKNOWN "mutex: session is expired" (etcd 3.5's
 * check; 3.4 would answer the lock without holding it); a wait that fails otherwise deletes its key, as etcd's
 * does. A waiting call the client cancels keeps waiting here until its key's lease ends.
 */
final class LockService implements Lock {

  private final KeyQueue queue;

  LockService(KeyQueue queue) {
    this.queue = queue;
  }

  @Override
  public CompletionStage<LockResponse> lock(LockRequest in) {
    ByteString prefix = in.getName().concat(ByteString.copyFromUtf8("/"));
    return queue.session(in.getLease()).thenCompose(lease -> {
      ByteString key = KeyQueue.key(prefix, lease);
      return queue.enqueue(key, ByteString.EMPTY, lease).thenCompose(put -> {
        long created = put.getSucceeded() ? put.getHeader().getRevision()
            : put.getResponses(0).getResponseRange().getKvs(0).getCreateRevision();
        return queue.awaitTurn(prefix, key, created, put.getHeader().getRevision())
            .thenApply(header -> LockResponse.newBuilder().setHeader(header).setKey(key).build())
            .exceptionallyCompose(failure -> queue.kv().deleteRange(DeleteRangeRequest.newBuilder().setKey(key)
                    .build(), KeyQueue.NO_CLIENT)
                .handle((deleted, ignored) -> {
                  throw failure instanceof CompletionException c ? c : new CompletionException(failure);
                }));
      });
    });
  }

  @Override
  public CompletionStage<UnlockResponse> unlock(UnlockRequest in) {
    if (in.getKey().isEmpty()) return CompletableFuture.failedFuture(KvService.status(
        io.pekkoraft.etcd.kv.EtcdError.EMPTY_KEY));
    return queue.kv().deleteRange(DeleteRangeRequest.newBuilder().setKey(in.getKey()).build(), KeyQueue.NO_CLIENT)
        .thenApply(deleted -> UnlockResponse.newBuilder().setHeader(deleted.getHeader()).build());
  }
}
