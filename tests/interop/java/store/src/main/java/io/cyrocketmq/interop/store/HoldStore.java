package io.cyrocketmq.interop.store;

import java.io.InputStream;
import java.util.Set;
import org.apache.rocketmq.store.DefaultMessageStore;

/**
 * Opens a store directory with DefaultMessageStore and keeps it open until
 * stdin reaches EOF, to check that the two implementations' store locks
 * exclude each other.
 *
 * <pre>
 *   HoldStore --store DIR --commitlog-size N --cq-units N [--index-slots N --index-entries N]
 * </pre>
 *
 * Prints {@code OK holding} once start() has taken the lock (DefaultMessageStore
 * locks byte 0 of DIR/lock with FileChannel.tryLock), then {@code OK shutdown}
 * after stdin closes. When start() cannot take the lock it prints
 * {@code LOCKED <message>} and exits with code 2; other failures print
 * {@code FAIL ...} and exit 1.
 */
public final class HoldStore {
    private HoldStore() {
    }

    public static void main(String[] argv) {
        int code;
        try {
            code = run(argv);
        } catch (Throwable t) {
            t.printStackTrace();
            System.out.println("FAIL exception: " + t);
            code = 1;
        }
        System.out.flush();
        System.exit(code);
    }

    private static int run(String[] argv) throws Exception {
        StoreSupport.Options options = new StoreSupport.Options(argv, StoreSupport.STORE_OPTIONS, Set.of());
        DefaultMessageStore store = StoreSupport.openStore(options);
        if (!store.load()) {
            System.out.println("FAIL load() returned false");
            return 1;
        }
        try {
            store.start();
        } catch (RuntimeException e) {
            // "Lock failed,MQ already started" when another process holds DIR/lock.
            if (e.getMessage() == null || !e.getMessage().startsWith("Lock failed")) {
                throw e;
            }
            System.out.println("LOCKED " + e.getMessage());
            return 2;
        }
        System.out.println("OK holding");
        System.out.flush();
        InputStream in = System.in;
        byte[] sink = new byte[256];
        while (in.read(sink) >= 0) {
            // Wait for EOF: the test closes our stdin when it is done.
        }
        store.shutdown();
        System.out.println("OK shutdown");
        return 0;
    }
}
