// The port suite's helper, compiled by the suite at bench time (cc -O2):
//
//   pktfwd gen IFNAME                 sends UDP frames on IFNAME as fast as
//                                     the socket takes them (256 flows), until killed
//   pktfwd fwd IN OUT QUEUES COUNTER  the ceiling peer: QUEUES threads, each
//                                     with its own socket on IN (one PACKET_FANOUT
//                                     group) and on OUT, moving frames with
//                                     recvmmsg / sendmmsg, adding what it sent to
//                                     its own 8-byte counter in file COUNTER (at
//                                     64 * queue; mapped shared: the bench reads it);
//                                     prints "ready" once every socket is open
//
// Plain C over the same socket calls the EAL's packet service makes, with
// no JavaScript at all: what the kernel allows on this machine.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 32
#define FRAME 2048

static int packet_socket(const char *ifname, int protocol) {
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    perror("socket");
    exit(1);
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof(sll));
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(protocol);
  sll.sll_ifindex = if_nametoindex(ifname);
  if (sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
    perror(ifname);
    exit(1);
  }
  return fd;
}

static uint16_t csum(const uint8_t *p, int n) {
  uint32_t s = 0;
  for (int i = 0; i + 1 < n; i += 2) s += (p[i] << 8) | p[i + 1];
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

static int gen(const char *ifname) {
  int fd = packet_socket(ifname, 0);
  static uint8_t frames[256][64];
  for (int f = 0; f < 256; f++) {
    uint8_t *p = frames[f];
    memset(p, 0, 64);
    memset(p, 0xff, 6);                                     // broadcast: every port takes it
    uint8_t src[6] = {2, 0, 0, 0, 0x77, 1};
    memcpy(p + 6, src, 6);
    p[12] = 0x08;
    uint8_t *ip = p + 14;
    ip[0] = 0x45;
    ip[3] = 46;                                             // 20 + 8 + 18
    ip[8] = 64;
    ip[9] = 17;
    ip[12] = 10, ip[13] = 9, ip[14] = 0, ip[15] = 1;
    ip[16] = 10, ip[17] = 9, ip[18] = 1, ip[19] = 77;
    uint16_t c = csum(ip, 20);
    ip[10] = c >> 8, ip[11] = c & 0xff;
    uint8_t *udp = ip + 20;
    udp[0] = 0x10, udp[1] = f;                              // flow: source port
    udp[2] = 0x13, udp[3] = 0x89;
    udp[5] = 26;
  }
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  unsigned next = 0;
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = frames[next++ & 255];
      iov[i].iov_len = 64;
      memset(&msgs[i], 0, sizeof(msgs[i]));
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    if (sendmmsg(fd, msgs, BATCH, 0) < 0 && errno != ENOBUFS && errno != EAGAIN) {
      perror("sendmmsg");
      return 1;
    }
  }
}

static _Atomic int opened;

struct fwd_args {
  const char *in;
  const char *out;
  int fanout;
  _Atomic uint64_t *counter;
};

static void *fwd_loop(void *arg) {
  struct fwd_args *a = arg;
  int rx = packet_socket(a->in, ETH_P_ALL);
  int one = 1;
  setsockopt(rx, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
  if (a->fanout > 0) {
    int v = (a->fanout & 0xffff) | (PACKET_FANOUT_HASH << 16);
    if (setsockopt(rx, SOL_PACKET, PACKET_FANOUT, &v, sizeof(v)) < 0) {
      perror("PACKET_FANOUT");
      exit(1);
    }
  }
  int rcvbuf = 4 << 20;
  setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
  int tx = packet_socket(a->out, 0);
  atomic_fetch_add(&opened, 1);
  static __thread uint8_t bufs[BATCH][FRAME];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = FRAME;
      memset(&msgs[i], 0, sizeof(msgs[i]));
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(rx, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) continue;  // busy polling, as the JS lcores do
    for (int i = 0; i < n; i++) {
      iov[i].iov_len = msgs[i].msg_len;
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = 0;
    while (sent < n) {
      int r = sendmmsg(tx, msgs + sent, n - sent, 0);
      if (r <= 0) break;
      sent += r;
    }
    atomic_fetch_add_explicit(a->counter, (uint64_t)sent, memory_order_relaxed);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "gen") == 0) return gen(argv[2]);
  if (argc >= 6 && strcmp(argv[1], "fwd") == 0) {
    int queues = atoi(argv[4]);
    int fd = open(argv[5], O_RDWR);
    if (fd < 0 || queues < 1 || queues > 8) {
      perror(argv[5]);
      return 1;
    }
    _Atomic uint64_t *counters = mmap(NULL, 64 * 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (counters == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
    pthread_t t[8];
    struct fwd_args args[8];
    int group = queues > 1 ? (getpid() & 0xffff) | 1 : 0;
    for (int q = 0; q < queues; q++) {
      args[q] = (struct fwd_args){argv[2], argv[3], group, &counters[q * 8]};
      pthread_create(&t[q], NULL, fwd_loop, &args[q]);
    }
    while (atomic_load(&opened) < queues) usleep(1000);
    printf("ready\n");
    fflush(stdout);
    for (int q = 0; q < queues; q++) pthread_join(t[q], NULL);
    return 0;
  }
  fprintf(stderr, "usage: pktfwd gen IFNAME | pktfwd fwd IN OUT QUEUES COUNTER\n");
  return 2;
}
