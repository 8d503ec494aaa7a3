/*
 * delay-line: a userspace delay line on an NFQUEUE queue, for kernels without sch_netem.
 *
 * net-fault.sh sends what a service sends (mangle POSTROUTING) to queue N; this program holds
 * each packet until its time has come, as GNS3 uBridge's delay_line does with netem's delay path:
 * a monotonic clock, a queue ordered by due time, and tail-drop when the queue is full. It never
 * changes a packet.
 *
 * How it holds one depends on where the packet comes from:
 *   sent by the namespace itself (no input device): it copies the packet, tells the kernel to drop
 *     the original at once, and sends the copy through a raw socket when its time comes. Holding
 *     the original instead would keep it charged to its socket, and TCP Small Queues would then
 *     let a sender have only a couple of segments out per delay (a bulk transfer behind 100 ms
 *     ran at 57 KB/s); netem avoids the same trap by detaching packets from their socket.
 *   forwarded (the router): it holds the kernel's packet and accepts it when its time comes; a
 *     forwarded packet belongs to no local socket.
 *
 *   delay-line -q QUEUE [-d DELAY_US] [-j JITTER_US] [-D uniform|normal] [-p DUP_PPM]
 *              [-r REORDER_PPM] [-g GAP_US] [-l LIMIT] [-m DUP_MARK] [-s STATS_FILE]
 *
 *   delay     every packet waits DELAY_US microseconds.
 *   jitter    plus a random amount: uniform on [-J, +J], or normal with standard deviation J
 *             (netem's two common distributions); a delay below 0 counts as 0. Packets keep
 *             their order: one is never released before the packet queued ahead of it.
 *   reorder   REORDER_PPM in a million packets are held back GAP_US more, out of the order
 *             chain, so that the packets behind them overtake them.
 *   duplicate DUP_PPM in a million packets are sent twice.
 *   DUP_MARK  the mark on what it sends through its raw socket, which the rules let pass
 *             without queueing it again (nor losing it twice).
 *   limit     at most LIMIT packets held (netem's limit); one more is dropped (default 10000).
 *
 * Counters go to STATS_FILE ("name value" lines, written whole through a rename) at most every
 * 200 ms while packets pass, at once on SIGUSR1, and at exit. SIGTERM or SIGINT releases every
 * held packet at once, writes the counters and exits 0. Idle, it sleeps in ppoll: no timer runs
 * while nothing is held.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <math.h>
#include <netinet/ip.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef NETLINK_NO_ENOBUFS
#define NETLINK_NO_ENOBUFS 5
#endif
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct held {
  uint64_t due;    /* monotonic ns */
  uint64_t seq;    /* arrival order, to break ties */
  uint32_t id;     /* the kernel's packet id */
  uint32_t len;    /* length of data */
  unsigned char *data; /* the packet, for one to send again (local) or to duplicate */
  int local;       /* sent by this namespace: the original was dropped, data is sent at release */
  int dup;         /* send it (once more) as a duplicate too */
};

static struct held *heap;
static size_t heap_n, heap_cap;

static long long delay_us, jitter_us, gap_us;
static int normal_dist;
static uint32_t dup_ppm, reorder_ppm;
static size_t limit = 10000;
static uint32_t dup_mark;
static const char *stats_file;
static int raw_fd = -1;

static uint64_t last_due, seq;
static struct {
  uint64_t seen, sent, dropped, duplicated, dup_failed, reordered, held_max, overruns, delay_sum_us, send_failed;
} counters;

static volatile sig_atomic_t want_stop, want_stats;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: fast, and good enough to choose which packets to hold back or copy. */
static uint64_t rng_state;
static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ull;
}
static double uniform01(void) { return (double)(rng() >> 11) * (1.0 / 9007199254740992.0); }
static int chance(uint32_t ppm) { return ppm > 0 && (rng() % 1000000u) < ppm; }
static double standard_normal(void) {
  /* Box-Muller */
  double u1 = uniform01(), u2 = uniform01();
  if (u1 < 1e-300) u1 = 1e-300;
  return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static int before(const struct held *a, const struct held *b) {
  return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}
static void heap_push(struct held h) {
  if (heap_n == heap_cap) {
    heap_cap = heap_cap ? heap_cap * 2 : 1024;
    heap = realloc(heap, heap_cap * sizeof *heap);
    if (!heap) { perror("delay-line: realloc"); exit(1); }
  }
  size_t i = heap_n++;
  heap[i] = h;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!before(&heap[i], &heap[p])) break;
    struct held t = heap[i]; heap[i] = heap[p]; heap[p] = t;
    i = p;
  }
}
static struct held heap_pop(void) {
  struct held top = heap[0];
  heap[0] = heap[--heap_n];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < heap_n && before(&heap[l], &heap[m])) m = l;
    if (r < heap_n && before(&heap[r], &heap[m])) m = r;
    if (m == i) break;
    struct held t = heap[i]; heap[i] = heap[m]; heap[m] = t;
    i = m;
  }
  return top;
}

static void write_stats(void) {
  if (!stats_file) return;
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", stats_file);
  FILE *f = fopen(tmp, "w");
  if (!f) return;
  fprintf(f,
          "delay_seen %llu\ndelay_sent %llu\ndelay_dropped %llu\ndelay_duplicated %llu\n"
          "delay_duplicate_failed %llu\ndelay_reordered %llu\ndelay_held %zu\ndelay_held_max %llu\n"
          "delay_overruns %llu\ndelay_added_us_sum %llu\ndelay_send_failed %llu\n",
          (unsigned long long)counters.seen, (unsigned long long)counters.sent, (unsigned long long)counters.dropped,
          (unsigned long long)counters.duplicated, (unsigned long long)counters.dup_failed,
          (unsigned long long)counters.reordered, heap_n, (unsigned long long)counters.held_max,
          (unsigned long long)counters.overruns, (unsigned long long)counters.delay_sum_us, (unsigned long long)counters.send_failed);
  fclose(f);
  rename(tmp, stats_file);
}

/* Sends a held packet through the raw socket (its mark lets it pass the queue); 0 when it went. */
static int send_raw(const struct held *h) {
  if (h->len < sizeof(struct iphdr)) return -1;
  const struct iphdr *ip = (const struct iphdr *)h->data;
  if (ip->version != 4) return -1;
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = ip->daddr };
  return sendto(raw_fd, h->data, h->len, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)h->len ? 0 : -1;
}

static struct nfq_q_handle *qh;

static void release(struct held h) {
  if (h.local) {
    if (send_raw(&h) == 0) counters.sent++;
    else counters.send_failed++;
  } else {
    nfq_set_verdict(qh, h.id, NF_ACCEPT, 0, NULL);
    counters.sent++;
  }
  if (h.dup) {
    if (send_raw(&h) == 0) counters.duplicated++;
    else counters.dup_failed++;
  }
  free(h.data);
}

static void release_due(uint64_t now) {
  while (heap_n > 0 && heap[0].due <= now) release(heap_pop());
}

static int on_packet(struct nfq_q_handle *q, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
  (void)msg; (void)data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  uint32_t id = ntohl(ph->packet_id);
  counters.seen++;
  int local = nfq_get_indev(nfa) == 0;
  if (heap_n >= limit) {
    nfq_set_verdict(q, id, NF_DROP, 0, NULL);
    counters.dropped++;
    return 0;
  }
  uint64_t now = now_ns();
  long long d = delay_us;
  if (jitter_us > 0) {
    double j = normal_dist ? standard_normal() * (double)jitter_us : (uniform01() * 2.0 - 1.0) * (double)jitter_us;
    d += llround(j);
    if (d < 0) d = 0;
  }
  struct held h = { .due = now + (uint64_t)d * 1000ull, .seq = seq++, .id = id, .local = local, .dup = chance(dup_ppm) };
  if (chance(reorder_ppm)) {
    h.due += (uint64_t)gap_us * 1000ull;
    counters.reordered++;
  } else {
    if (h.due < last_due) h.due = last_due;
    last_due = h.due;
  }
  if (h.local || h.dup) {
    unsigned char *payload;
    int len = nfq_get_payload(nfa, &payload);
    if (len > 0 && (h.data = malloc((size_t)len)) != NULL) {
      memcpy(h.data, payload, (size_t)len);
      h.len = (uint32_t)len;
    } else if (h.local) {
      /* Without a copy it cannot be sent later: let the original go now, undelayed. */
      nfq_set_verdict(q, id, NF_ACCEPT, 0, NULL);
      counters.send_failed++;
      return 0;
    } else {
      h.dup = 0;
      counters.dup_failed++;
    }
  }
  /* The original of a local packet goes at once: its copy is what waits. */
  if (h.local) nfq_set_verdict(q, id, NF_DROP, 0, NULL);
  counters.delay_sum_us += (h.due - now) / 1000ull;
  heap_push(h);
  if (heap_n > counters.held_max) counters.held_max = heap_n;
  return 0;
}

static void on_signal(int sig) {
  if (sig == SIGUSR1) want_stats = 1;
  else want_stop = 1;
}

static long long number(const char *name, const char *text, long long max) {
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (errno || *end || end == text || v < 0 || v > max) {
    fprintf(stderr, "delay-line: %s must be a whole number from 0 to %lld, got '%s'\n", name, max, text);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  int queue = -1, opt;
  while ((opt = getopt(argc, argv, "q:d:j:D:p:r:g:l:m:s:")) != -1) {
    switch (opt) {
      case 'q': queue = (int)number("QUEUE", optarg, 65535); break;
      case 'd': delay_us = number("DELAY_US", optarg, 60000000); break;
      case 'j': jitter_us = number("JITTER_US", optarg, 60000000); break;
      case 'D':
        if (strcmp(optarg, "normal") == 0) normal_dist = 1;
        else if (strcmp(optarg, "uniform") != 0) { fprintf(stderr, "delay-line: distribution must be uniform or normal, got '%s'\n", optarg); return 2; }
        break;
      case 'p': dup_ppm = (uint32_t)number("DUP_PPM", optarg, 1000000); break;
      case 'r': reorder_ppm = (uint32_t)number("REORDER_PPM", optarg, 1000000); break;
      case 'g': gap_us = number("GAP_US", optarg, 60000000); break;
      case 'l': limit = (size_t)number("LIMIT", optarg, 1000000); if (limit == 0) limit = 1; break;
      case 'm': dup_mark = (uint32_t)number("DUP_MARK", optarg, 0xffffffffll); break;
      case 's': stats_file = optarg; break;
      default:
        fprintf(stderr, "usage: delay-line -q QUEUE [-d DELAY_US] [-j JITTER_US] [-D uniform|normal] [-p DUP_PPM] [-r REORDER_PPM] [-g GAP_US] [-l LIMIT] [-m DUP_MARK] [-s STATS_FILE]\n");
        return 2;
    }
  }
  if (queue < 0) { fprintf(stderr, "delay-line: -q QUEUE is required\n"); return 2; }
  if (dup_mark == 0) { fprintf(stderr, "delay-line: -m DUP_MARK is required: the mark that lets the packets it sends pass the queue\n"); return 2; }

  int ufd = open("/dev/urandom", O_RDONLY);
  if (ufd < 0 || read(ufd, &rng_state, sizeof rng_state) != sizeof rng_state) rng_state = now_ns();
  if (ufd >= 0) close(ufd);
  if (rng_state == 0) rng_state = 0x9e3779b97f4a7c15ull;

  raw_fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (raw_fd < 0 || setsockopt(raw_fd, SOL_SOCKET, SO_MARK, &dup_mark, sizeof dup_mark) < 0) {
    perror("delay-line: raw socket");
    return 1;
  }
  /* Room for a burst of released packets (SO_SNDBUFFORCE: past wmem_max, with CAP_NET_ADMIN). */
  int sndbuf = 8 * 1024 * 1024;
  if (setsockopt(raw_fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0) setsockopt(raw_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  /* Never wait on it: a packet it cannot take now is counted (send_failed) and lost, as a full link's. */
  fcntl(raw_fd, F_SETFL, fcntl(raw_fd, F_GETFL) | O_NONBLOCK);

  struct nfq_handle *h = nfq_open();
  if (!h) { perror("delay-line: nfq_open"); return 1; }
  nfq_unbind_pf(h, AF_INET); /* older kernels want this; newer ones ignore it */
  if (nfq_bind_pf(h, AF_INET) < 0) { perror("delay-line: nfq_bind_pf"); return 1; }
  qh = nfq_create_queue(h, (uint16_t)queue, on_packet, NULL);
  if (!qh) { fprintf(stderr, "delay-line: could not bind queue %d (is another delay line on it?)\n", queue); return 1; }
  /* Whole packets: a local one is sent again from its copy. Without NFQA_CFG_F_GSO the kernel
   * splits GSO packets and completes partial checksums before it queues them, so each copy is
   * a packet as the wire would carry it. */
  if (nfq_set_mode(qh, NFQNL_COPY_PACKET, 0xffff) < 0) { perror("delay-line: nfq_set_mode"); return 1; }
  /* The kernel counts held packets against its own limit (1024 by default): keep it above ours. */
  if (nfq_set_queue_maxlen(qh, (uint32_t)(limit + 4096)) < 0) { perror("delay-line: nfq_set_queue_maxlen"); return 1; }
  int fd = nfq_fd(h);
  nfnl_rcvbufsiz(nfq_nfnlh(h), 16 * 1024 * 1024);
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

  sigset_t block, waitmask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, &waitmask);
  struct sigaction sa = { .sa_handler = on_signal };
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);

  printf("delay-line: queue %d, delay %lld us, jitter %lld us %s, duplicate %u ppm, reorder %u ppm gap %lld us, limit %zu\n",
         queue, delay_us, jitter_us, normal_dist ? "normal" : "uniform", dup_ppm, reorder_ppm, gap_us, limit);
  fflush(stdout);
  write_stats();

  static char buf[0x10000 + 4096] __attribute__((aligned));
  uint64_t last_write = 0;
  int dirty = 0;
  while (!want_stop) {
    struct timespec timeout, *tp = NULL;
    uint64_t now = now_ns();
    uint64_t wake = UINT64_MAX;
    if (heap_n > 0) wake = heap[0].due;
    if (dirty) {
      uint64_t w = last_write + 200000000ull;
      if (w < wake) wake = w;
    }
    if (wake != UINT64_MAX) {
      uint64_t wait = wake > now ? wake - now : 0;
      timeout.tv_sec = (time_t)(wait / 1000000000ull);
      timeout.tv_nsec = (long)(wait % 1000000000ull);
      tp = &timeout;
    }
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int n = ppoll(&pfd, 1, tp, &waitmask);
    if (n > 0 && (pfd.revents & POLLIN)) {
      for (;;) {
        ssize_t rv = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (rv > 0) { nfq_handle_packet(h, buf, (int)rv); dirty = 1; continue; }
        if (rv < 0 && errno == ENOBUFS) { counters.overruns++; continue; }
        break;
      }
    }
    now = now_ns();
    release_due(now);
    if (want_stats || (dirty && now - last_write >= 200000000ull)) {
      write_stats();
      last_write = now;
      dirty = 0;
      want_stats = 0;
    }
  }
  while (heap_n > 0) release(heap_pop());
  write_stats();
  nfq_destroy_queue(qh);
  nfq_close(h);
  printf("delay-line: stopped after %llu packets\n", (unsigned long long)counters.seen);
  return 0;
}
