// Packet I/O on Linux packet sockets (AF_PACKET), straight into and out of
// the EAL's shared memory: the generic service that @rtemem/port builds
// DPDK's net_af_packet PMD on. Nothing here knows mbufs; it knows buffers.
//
// A queue is one socket and a descriptor area in shared memory (layout in
// ../packet.ts, the contract both sides keep):
//   RX: software posts buffers (rtemem addresses) on a stack; a call fills
//       as many as it has packets for, lists the buffers it used in packet
//       order, and writes one completion per packet (length, segments,
//       VLAN tag, status). Long packets take consecutive buffers.
//   TX: software writes descriptors (address, length, end-of-packet); a
//       call sends whole packets and says how many it took.
// Addresses are rtemem addresses (list * 2^30 + offset); each queue holds the
// base pointer of every list it may touch, and keeps those mappings alive
// (a reference to each V8 backing store) until it is closed, so a queue can
// never write into memory that was unmapped under it.
//
// Two receive paths, chosen per queue: a TPACKET_V3 ring mapped into this
// process (the kernel fills blocks; we copy each packet into its buffers;
// no system call while packets are waiting) or recvmmsg with iovecs that
// point into the buffers (the kernel copies once; one system call per
// burst, empty or not). bench/suites/port.mjs measures both.
//
// Like mapping.cc this file reaches V8 directly, for the one thing
// node-addon-api cannot do: hold a SharedArrayBuffer's backing store.
#include "packet.h"
#include "native.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <v8.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <sched.h>
#include <string>
#include <vector>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#ifndef PACKET_FANOUT_FLAG_UNIQUEID
#define PACKET_FANOUT_FLAG_UNIQUEID 0x2000
#endif

namespace rtemem {

namespace {

// The descriptor area of a queue (see PKT_Q_* in ../packet.ts).
constexpr size_t kQPosted = 0;      // u32 RX: buffers on the posted stack
constexpr size_t kQCapacity = 4;    // u32 entries of each array
constexpr size_t kQBufOffset = 8;   // u32 bytes from a posted address to its buffer
constexpr size_t kQBufCap = 12;     // u32 bytes per buffer
constexpr size_t kQMaxSegs = 16;    // u32 RX: buffers one packet may take
constexpr size_t kQMaxFrame = 20;   // u32 RX (recvmmsg): the longest frame expected
constexpr size_t kQErrors = 24;     // u32 set by each call: packets dropped as bad
constexpr size_t kQUsed = 28;       // u32 RX: entries written to the used list
constexpr size_t kQHeader = 64;
constexpr size_t kEntry = 16;       // completion / descriptor bytes

// RX completion: u32 len, u32 segs, u16 vlan_tci, u16 vlan_tpid, u32 status.
constexpr uint32_t kStVlan = 1;
constexpr uint32_t kStCsumNotReady = 2;
constexpr uint32_t kStCsumValid = 4;
// TX descriptor: f64 address, u32 len, u32 flags.
constexpr uint32_t kTxEop = 1;
constexpr uint32_t kTxErr = 2;  // set by a call on the last descriptor of a packet it dropped

constexpr int kKindRx = 0;
constexpr int kKindTx = 1;
constexpr int kModeRing = 0;
constexpr int kModeMmsg = 1;

constexpr double kListSpan = 1073741824.0;  // LIST_SPAN
constexpr size_t kMaxLists = 33;            // list indexes 1..MAX_LISTS
constexpr int kMaxQueues = 1024;
constexpr unsigned kMaxBatch = 256;

v8::Local<v8::Value> ToV8(napi_value value) {
  v8::Local<v8::Value> local;
  static_assert(sizeof(local) == sizeof(value), "napi_value is a v8::Local");
  memcpy(static_cast<void*>(&local), &value, sizeof(value));
  return local;
}

// The backing store of a SharedArrayBuffer, or null.
std::shared_ptr<v8::BackingStore> StoreOf(napi_value value) {
  v8::Local<v8::Value> local = ToV8(value);
  if (!local->IsSharedArrayBuffer()) return nullptr;
  return local.As<v8::SharedArrayBuffer>()->GetBackingStore();
}

struct Region {
  char* base = nullptr;
  size_t len = 0;
  std::shared_ptr<v8::BackingStore> keep;
};

struct Queue {
  std::string key;
  int handle = -1;  // slot | serial << 10: a stale handle never reaches a newer queue
  int refs = 1;
  int fd = -1;
  int kind = kKindRx;
  int mode = kModeRing;
  std::atomic<bool> promisc{false};  // holds a PACKET_MR_PROMISC membership (the kernel counts them); also the MAC filter
  std::atomic<int> busy{0};
  std::atomic<bool> closing{false};
  Region regions[kMaxLists];
  std::shared_ptr<v8::BackingStore> areaKeep;
  char* area = nullptr;
  uint32_t capacity = 0;
  // TPACKET_V3 ring: where the next packet is.
  char* ring = nullptr;
  size_t ringLen = 0;
  uint32_t blockSize = 0;
  uint32_t blockNr = 0;
  uint32_t block = 0;
  uint32_t left = 0;
  char* pkt = nullptr;
  // recvmmsg / sendmmsg scratch, sized once.
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iov;
  std::vector<sockaddr_ll> names;
  std::vector<char> control;
  std::vector<double> popped;
  std::vector<uint32_t> firstDesc;
  std::vector<uint32_t> lastDesc;

  uint32_t* U32(size_t off) { return reinterpret_cast<uint32_t*>(area + off); }
  double* Posted() { return reinterpret_cast<double*>(area + kQHeader); }
  double* Used() { return reinterpret_cast<double*>(area + kQHeader + 8 * static_cast<size_t>(capacity)); }
  char* Entry(uint32_t i) { return area + kQHeader + 16 * static_cast<size_t>(capacity) + kEntry * i; }

  // The process address of `len` bytes at rtemem address `addr`, or null
  // when they are not all inside one mapped list.
  char* Translate(double addr, size_t len) {
    if (!(addr >= kListSpan) || addr >= 9007199254740992.0) return nullptr;
    uint64_t a = static_cast<uint64_t>(addr);
    if (static_cast<double>(a) != addr) return nullptr;
    uint64_t list = a >> 30;
    uint64_t off = a & ((1ULL << 30) - 1);
    if (list >= kMaxLists) return nullptr;
    const Region& r = regions[list];
    if (r.base == nullptr || off + len > r.len) return nullptr;
    return r.base + off;
  }
};

std::mutex gMutex;
std::atomic<Queue*> gQueues[kMaxQueues];
int gSerial = 0;

int SlotOf(int h) { return h < 0 ? -1 : h & (kMaxQueues - 1); }

Napi::Value Errno(Napi::Env env, int err) { return Napi::Number::New(env, -err); }

// Marks a queue in use for one call; null when it is closed or closing.
Queue* Enter(int h) {
  int slot = SlotOf(h);
  if (slot < 0) return nullptr;
  Queue* q = gQueues[slot].load(std::memory_order_acquire);
  if (q == nullptr || q->handle != h) return nullptr;
  q->busy.fetch_add(1, std::memory_order_acq_rel);
  if (q->closing.load(std::memory_order_acquire)) {
    q->busy.fetch_sub(1, std::memory_order_acq_rel);
    return nullptr;
  }
  return q;
}

void Leave(Queue* q) { q->busy.fetch_sub(1, std::memory_order_acq_rel); }

void Destroy(Queue* q) {
  if (q->ring != nullptr) munmap(q->ring, q->ringLen);
  if (q->fd >= 0) close(q->fd);
  delete q;
}

int IfIndex(int fd, const std::string& name, int* index) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  if (name.empty() || name.size() >= IFNAMSIZ) return -ENODEV;
  memcpy(ifr.ifr_name, name.c_str(), name.size());
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) return -errno;
  *index = ifr.ifr_ifindex;
  return 0;
}

// Release of a ring block to the kernel: pairs with the kernel's read of
// block_status before it writes the block again.
void ReleaseBlock(char* block) {
  auto* bd = reinterpret_cast<tpacket_block_desc*>(block);
  __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

// Fills the completion of packet `n`.
void Complete(Queue* q, uint32_t n, uint32_t len, uint32_t segs, uint32_t tpStatus, uint16_t tci, uint16_t tpid) {
  char* e = q->Entry(n);
  uint32_t status = 0;
  if ((tpStatus & TP_STATUS_VLAN_VALID) != 0) status |= kStVlan;
  if ((tpStatus & TP_STATUS_CSUMNOTREADY) != 0) status |= kStCsumNotReady;
  if ((tpStatus & TP_STATUS_CSUM_VALID) != 0) status |= kStCsumValid;
  if ((tpStatus & TP_STATUS_VLAN_VALID) != 0 && (tpStatus & TP_STATUS_VLAN_TPID_VALID) == 0) tpid = ETH_P_8021Q;
  memcpy(e, &len, 4);
  memcpy(e + 4, &segs, 4);
  memcpy(e + 8, &tci, 2);
  memcpy(e + 10, &tpid, 2);
  memcpy(e + 12, &status, 4);
}

int RxRing(Queue* q, uint32_t max) {
  uint32_t posted = *q->U32(kQPosted);
  const uint32_t cap = *q->U32(kQBufCap);
  const uint32_t bufOff = *q->U32(kQBufOffset);
  const uint32_t maxSegs = *q->U32(kQMaxSegs);
  double* stack = q->Posted();
  double* used = q->Used();
  uint32_t n = 0;
  uint32_t nUsed = 0;
  uint32_t errors = 0;
  if (posted > q->capacity || cap == 0) return -EINVAL;
  if (max > q->capacity) max = q->capacity;
  while (n < max) {
    if (q->pkt == nullptr) {
      char* block = q->ring + static_cast<size_t>(q->block) * q->blockSize;
      auto* bd = reinterpret_cast<tpacket_block_desc*>(block);
      // Pairs with the kernel's release of the block to user space.
      if ((__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) break;
      q->left = bd->hdr.bh1.num_pkts;
      q->pkt = block + bd->hdr.bh1.offset_to_first_pkt;
      if (q->left == 0) {
        ReleaseBlock(block);
        q->block = (q->block + 1) % q->blockNr;
        q->pkt = nullptr;
        continue;
      }
    }
    auto* h = reinterpret_cast<tpacket3_hdr*>(q->pkt);
    auto* sll = reinterpret_cast<sockaddr_ll*>(q->pkt + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
    uint32_t len = h->tp_snaplen;
    uint32_t segs = len == 0 ? 1 : (len + cap - 1) / cap;
    bool take = true;
    if (sll->sll_pkttype == PACKET_OUTGOING || (sll->sll_pkttype == PACKET_OTHERHOST && !q->promisc)) {
      // Our own transmissions (kernels without PACKET_IGNORE_OUTGOING), and
      // frames for other hosts unless promiscuous: what a NIC's MAC filter
      // drops (a veth delivers them all; another socket may have made the
      // interface promiscuous).
      take = false;
    } else if (h->tp_snaplen < h->tp_len || segs > maxSegs) {
      take = false;
      errors++;
    } else if (segs > posted || nUsed + segs > q->capacity) {
      break;  // not enough buffers: the packet waits for the next call
    }
    if (take) {
      const char* src = q->pkt + h->tp_mac;
      uint32_t first = nUsed;
      uint32_t done = 0;
      bool bad = false;
      for (uint32_t s = 0; s < segs; s++) {
        double addr = stack[--posted];
        uint32_t chunk = len - done < cap ? len - done : cap;
        char* dst = q->Translate(addr + bufOff, cap);
        used[nUsed++] = addr;
        if (dst == nullptr) {
          bad = true;
          continue;
        }
        memcpy(dst, src + done, chunk);
        done += chunk;
      }
      if (bad) {
        // A posted address outside the mapped lists: give the buffers
        // back to the stack untouched and drop the packet.
        for (uint32_t s = first; s < nUsed; s++) stack[posted++] = used[s];
        nUsed = first;
        errors++;
      } else {
        Complete(q, n, len, segs, h->tp_status, static_cast<uint16_t>(h->hv1.tp_vlan_tci), h->hv1.tp_vlan_tpid);
        n++;
      }
    }
    if (--q->left == 0) {
      ReleaseBlock(q->ring + static_cast<size_t>(q->block) * q->blockSize);
      q->block = (q->block + 1) % q->blockNr;
      q->pkt = nullptr;
    } else {
      q->pkt += h->tp_next_offset;
    }
  }
  *q->U32(kQPosted) = posted;
  *q->U32(kQUsed) = nUsed;
  *q->U32(kQErrors) = errors;
  return static_cast<int>(n);
}

int RxMmsg(Queue* q, uint32_t max) {
  uint32_t posted = *q->U32(kQPosted);
  const uint32_t cap = *q->U32(kQBufCap);
  const uint32_t bufOff = *q->U32(kQBufOffset);
  const uint32_t maxSegs = *q->U32(kQMaxSegs);
  const uint32_t maxFrame = *q->U32(kQMaxFrame);
  double* stack = q->Posted();
  double* used = q->Used();
  if (posted > q->capacity || cap == 0 || maxSegs == 0) return -EINVAL;
  uint32_t per = maxFrame == 0 ? 1 : (maxFrame + cap - 1) / cap;
  if (per > maxSegs) per = maxSegs;
  if (per > 64) per = 64;
  uint32_t m = posted / per;
  if (m > max) m = max;
  if (m > q->capacity) m = q->capacity;
  if (m > kMaxBatch) m = kMaxBatch;
  *q->U32(kQUsed) = 0;
  *q->U32(kQErrors) = 0;
  if (m == 0) return 0;
  const size_t cmsgLen = CMSG_SPACE(sizeof(tpacket_auxdata));
  uint32_t errors = 0;
  // Pop per buffers for each message; iovecs point into them.
  uint32_t nPopped = 0;
  for (uint32_t i = 0; i < m; i++) {
    mmsghdr& mh = q->msgs[i];
    memset(&mh, 0, sizeof(mh));
    uint32_t iovs = 0;
    for (uint32_t s = 0; s < per; s++) {
      double addr = stack[--posted];
      q->popped[nPopped++] = addr;
      char* dst = q->Translate(addr + bufOff, cap);
      if (dst == nullptr) continue;  // leaves a gap: caught below as a bad buffer
      q->iov[i * per + iovs].iov_base = dst;
      q->iov[i * per + iovs].iov_len = cap;
      iovs++;
    }
    if (iovs != per) {
      // A posted address outside the mapped lists: this message gets no
      // buffers (and no packet); they go back on the stack below.
      iovs = 0;
      errors++;
    }
    mh.msg_hdr.msg_iov = &q->iov[i * per];
    mh.msg_hdr.msg_iovlen = iovs;
    mh.msg_hdr.msg_name = &q->names[i];
    mh.msg_hdr.msg_namelen = sizeof(sockaddr_ll);
    mh.msg_hdr.msg_control = &q->control[i * cmsgLen];
    mh.msg_hdr.msg_controllen = cmsgLen;
  }
  int r;
  do {
    r = recvmmsg(q->fd, q->msgs.data(), m, MSG_DONTWAIT, nullptr);
  } while (r < 0 && errno == EINTR);
  int err = r < 0 ? errno : 0;
  if (r < 0) r = 0;
  uint32_t n = 0;
  uint32_t nUsed = 0;
  for (uint32_t i = 0; i < m; i++) {
    double* mine = &q->popped[i * per];
    uint32_t take = 0;
    mmsghdr& mh = q->msgs[i];
    if (static_cast<int>(i) < r && mh.msg_hdr.msg_iovlen == per) {
      uint32_t len = mh.msg_len;
      uint32_t tpStatus = 0;
      uint16_t tci = 0;
      uint16_t tpid = 0;
      for (cmsghdr* c = CMSG_FIRSTHDR(&mh.msg_hdr); c != nullptr; c = CMSG_NXTHDR(&mh.msg_hdr, c)) {
        if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA && c->cmsg_len >= CMSG_LEN(sizeof(tpacket_auxdata))) {
          tpacket_auxdata aux;
          memcpy(&aux, CMSG_DATA(c), sizeof(aux));
          tpStatus = aux.tp_status;
          tci = aux.tp_vlan_tci;
          tpid = aux.tp_vlan_tpid;
        }
      }
      uint8_t type = q->names[i].sll_pkttype;
      if (type == PACKET_OUTGOING || (type == PACKET_OTHERHOST && !q->promisc)) {
        // Ours, or another host's (see RxRing).
      } else if ((mh.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        errors++;
      } else {
        take = len == 0 ? 1 : (len + cap - 1) / cap;
        Complete(q, n, len, take, tpStatus, tci, tpid);
        n++;
      }
    }
    for (uint32_t s = 0; s < take; s++) used[nUsed++] = mine[s];
    for (uint32_t s = per; s > take; s--) stack[posted++] = mine[s - 1];
  }
  *q->U32(kQPosted) = posted;
  *q->U32(kQUsed) = nUsed;
  *q->U32(kQErrors) = errors;
  if (err != 0 && err != EAGAIN && err != EWOULDBLOCK) return -err;
  return static_cast<int>(n);
}

// Sends descriptors [0, nd): whole packets only (a packet is the
// descriptors up to one with kTxEop). Returns the packets taken, in order:
// sent, or dropped as bad (an address outside the mapped lists, or one the
// link refuses: too long, link down), those counted in kQErrors. A full
// socket buffer ends the call; what is left stays the caller's.
void MarkError(Queue* q, uint32_t d) {
  char* e = q->Entry(d) + 12;
  uint32_t flags;
  memcpy(&flags, e, 4);
  flags |= kTxErr;
  memcpy(e, &flags, 4);
}

int TxMmsg(Queue* q, uint32_t nd) {
  if (nd > q->capacity) nd = q->capacity;
  uint32_t errors = 0;
  uint32_t taken = 0;
  uint32_t d = 0;
  std::vector<uint32_t>& after = q->firstDesc;  // packets taken once message i is sent
  for (;;) {
    uint32_t m = 0;
    uint32_t iovs = 0;
    uint32_t badFirst = 0;  // bad packets before the batch's first message
    bool partial = false;
    while (d < nd && m < kMaxBatch) {
      uint32_t e = d;
      for (;;) {
        uint32_t flags;
        memcpy(&flags, q->Entry(e) + 12, 4);
        if ((flags & kTxEop) != 0) break;
        if (++e >= nd) break;
      }
      if (e >= nd) {
        partial = true;  // a packet without its end: not ours to send
        break;
      }
      uint32_t first = iovs;
      bool bad = false;
      for (uint32_t k = d; k <= e; k++) {
        char* en = q->Entry(k);
        double addr;
        uint32_t len;
        memcpy(&addr, en, 8);
        memcpy(&len, en + 8, 4);
        char* src = q->Translate(addr, len);
        if (src == nullptr || iovs >= q->iov.size()) {
          bad = true;
          break;
        }
        q->iov[iovs].iov_base = src;
        q->iov[iovs].iov_len = len;
        iovs++;
      }
      d = e + 1;
      if (bad) {
        MarkError(q, e);
        iovs = first;
        errors++;
        if (m == 0) badFirst++;
        else after[m - 1]++;
        continue;
      }
      mmsghdr& mh = q->msgs[m];
      memset(&mh, 0, sizeof(mh));
      mh.msg_hdr.msg_iov = &q->iov[first];
      mh.msg_hdr.msg_iovlen = iovs - first;
      after[m] = 1;
      q->lastDesc[m] = e;
      m++;
    }
    taken += badFirst;
    if (m == 0) break;
    uint32_t sent = 0;
    while (sent < m) {
      int r;
      do {
        r = sendmmsg(q->fd, &q->msgs[sent], m - sent, MSG_DONTWAIT);
      } while (r < 0 && errno == EINTR);
      if (r > 0) {
        for (int i = 0; i < r; i++) taken += after[sent + i];
        sent += static_cast<uint32_t>(r);
        continue;
      }
      int err = r < 0 ? errno : EAGAIN;
      if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
        *q->U32(kQErrors) = errors;
        return static_cast<int>(taken);
      }
      MarkError(q, q->lastDesc[sent]);
      errors++;
      taken += after[sent];
      sent++;
    }
    if (partial || d >= nd) break;
  }
  *q->U32(kQErrors) = errors;
  return static_cast<int>(taken);
}

int SetupRing(Queue* q, uint32_t blockSize, uint32_t blockNr, uint32_t frameSize, uint32_t tovMs) {
  int version = TPACKET_V3;
  if (setsockopt(q->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0) return -errno;
  tpacket_req3 req;
  memset(&req, 0, sizeof(req));
  req.tp_block_size = blockSize;
  req.tp_block_nr = blockNr;
  req.tp_frame_size = frameSize;
  req.tp_frame_nr = static_cast<unsigned>((static_cast<uint64_t>(blockSize) * blockNr) / frameSize);
  req.tp_retire_blk_tov = tovMs;
  if (setsockopt(q->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) return -errno;
  size_t len = static_cast<size_t>(blockSize) * blockNr;
  void* ring = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, q->fd, 0);
  if (ring == MAP_FAILED) ring = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, q->fd, 0);
  if (ring == MAP_FAILED) return -errno;
  q->ring = static_cast<char*>(ring);
  q->ringLen = len;
  q->blockSize = blockSize;
  q->blockNr = blockNr;
  return 0;
}

int Bind(int fd, int ifindex, uint16_t protocol) {
  sockaddr_ll sll;
  memset(&sll, 0, sizeof(sll));
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(protocol);
  sll.sll_ifindex = ifindex;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) < 0) return -errno;
  return 0;
}

int Promisc(int fd, int ifindex, bool on) {
  packet_mreq mr;
  memset(&mr, 0, sizeof(mr));
  mr.mr_ifindex = ifindex;
  mr.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(fd, SOL_PACKET, on ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP, &mr, sizeof(mr)) < 0) return -errno;
  return 0;
}

uint32_t U32Of(const Napi::Object& o, const char* key, uint32_t dflt) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) return dflt;
  return v.As<Napi::Number>().Uint32Value();
}

}  // namespace

// packetIfInfo(ifname) -> { ifindex, mtu, flags, mac: Uint8Array(6) } | -errno
// Needs no privilege: the ioctls go through an ordinary datagram socket.
Napi::Value PacketIfInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) return Errno(env, EINVAL);
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name.empty() || name.size() >= IFNAMSIZ) return Errno(env, ENODEV);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno(env, errno);
  struct ifreq ifr;
  Napi::Object out = Napi::Object::New(env);
  int err = 0;
  auto ask = [&](unsigned long req) {
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, name.c_str(), name.size());
    if (err == 0 && ioctl(fd, req, &ifr) < 0) err = errno;
    return err == 0;
  };
  if (ask(SIOCGIFINDEX)) out.Set("ifindex", Napi::Number::New(env, ifr.ifr_ifindex));
  if (ask(SIOCGIFMTU)) out.Set("mtu", Napi::Number::New(env, ifr.ifr_mtu));
  if (ask(SIOCGIFFLAGS)) out.Set("flags", Napi::Number::New(env, static_cast<uint16_t>(ifr.ifr_flags)));
  if (ask(SIOCGIFHWADDR)) {
    Napi::Uint8Array mac = Napi::Uint8Array::New(env, 6);
    memcpy(mac.Data(), ifr.ifr_hwaddr.sa_data, 6);
    out.Set("mac", mac);
    out.Set("hwType", Napi::Number::New(env, ifr.ifr_hwaddr.sa_family));
  }
  close(fd);
  if (err != 0) return Errno(env, err);
  return out;
}

// packetOpen(key, ifname, opts, area: SharedArrayBuffer, areaOffset, lists: (SharedArrayBuffer|undefined)[])
//   -> handle | -errno
// opts: { kind: 0 rx | 1 tx, mode: 0 ring | 1 mmsg, capacity, fanoutId (-1: none;
//         0: a new unique group), fanoutMode, promisc, blockSize, blockNr,
//         frameSize, tovMs, rcvbuf }
// A key already open in this process returns the same handle (another
// reference): the socket is per process, shared by its threads.
Napi::Value PacketOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 6 || !info[0].IsString() || !info[1].IsString() || !info[2].IsObject() || !info[4].IsNumber() || !info[5].IsArray()) {
    return Errno(env, EINVAL);
  }
  std::string key = info[0].As<Napi::String>().Utf8Value();
  std::string ifname = info[1].As<Napi::String>().Utf8Value();
  Napi::Object opts = info[2].As<Napi::Object>();
  std::lock_guard<std::mutex> lock(gMutex);
  for (int h = 0; h < kMaxQueues; h++) {
    Queue* q = gQueues[h].load(std::memory_order_acquire);
    if (q != nullptr && q->key == key) {
      q->refs++;
      return Napi::Number::New(env, q->handle);
    }
  }
  int slot = -1;
  for (int h = 0; h < kMaxQueues; h++) {
    if (gQueues[h].load(std::memory_order_acquire) == nullptr) {
      slot = h;
      break;
    }
  }
  if (slot < 0) return Errno(env, EMFILE);

  std::unique_ptr<Queue> q(new Queue());
  q->key = key;
  q->kind = static_cast<int>(U32Of(opts, "kind", 0));
  q->mode = static_cast<int>(U32Of(opts, "mode", 0));
  q->capacity = U32Of(opts, "capacity", 0);
  if ((q->kind != kKindRx && q->kind != kKindTx) || (q->mode != kModeRing && q->mode != kModeMmsg) || q->capacity == 0) return Errno(env, EINVAL);
  q->areaKeep = StoreOf(info[3]);
  if (!q->areaKeep) return Errno(env, EINVAL);
  double areaOff = info[4].As<Napi::Number>().DoubleValue();
  size_t areaLen = kQHeader + (16 + kEntry) * static_cast<size_t>(q->capacity);
  if (!(areaOff >= 0) || areaOff + static_cast<double>(areaLen) > static_cast<double>(q->areaKeep->ByteLength()) ||
      std::fmod(areaOff, 8.0) != 0) {
    return Errno(env, EINVAL);
  }
  q->area = static_cast<char*>(q->areaKeep->Data()) + static_cast<size_t>(areaOff);
  Napi::Array lists = info[5].As<Napi::Array>();
  for (uint32_t i = 0; i < lists.Length() && i < kMaxLists; i++) {
    Napi::Value v = lists.Get(i);
    if (v.IsUndefined() || v.IsNull()) continue;
    std::shared_ptr<v8::BackingStore> store = StoreOf(v);
    if (!store) return Errno(env, EINVAL);
    q->regions[i].base = static_cast<char*>(store->Data());
    q->regions[i].len = store->ByteLength();
    q->regions[i].keep = std::move(store);
  }

  // Protocol 0 until bound: a packet socket hears every interface from
  // socket() on, and a TX socket should hear nothing at all.
  q->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (q->fd < 0) return Errno(env, errno);
  int ifindex = 0;
  int r = IfIndex(q->fd, ifname, &ifindex);
  if (r < 0) {
    Destroy(q.release());
    return Errno(env, -r);
  }
  size_t batch = q->capacity < kMaxBatch ? q->capacity : kMaxBatch;
  if (q->kind == kKindRx) {
    int one = 1;
    setsockopt(q->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one));
    // Ours on the wire come back otherwise (filtered again per packet for
    // kernels before 4.20, which lack the option).
    setsockopt(q->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
    if (q->mode == kModeRing) {
      r = SetupRing(q.get(), U32Of(opts, "blockSize", 1 << 20), U32Of(opts, "blockNr", 4), U32Of(opts, "frameSize", 2048), U32Of(opts, "tovMs", 1));
      if (r < 0) {
        Destroy(q.release());
        return Errno(env, -r);
      }
    } else {
      int rcvbuf = static_cast<int>(U32Of(opts, "rcvbuf", 4 << 20));
      // FORCE passes net.core.rmem_max with CAP_NET_ADMIN; the plain one is capped by it.
      if (setsockopt(q->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0) {
        setsockopt(q->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
      }
      q->msgs.resize(batch);
      q->names.resize(batch);
      q->control.resize(batch * CMSG_SPACE(sizeof(tpacket_auxdata)));
      q->iov.resize(batch * 64);
      q->popped.resize(batch * 64);
    }
    r = Bind(q->fd, ifindex, ETH_P_ALL);
    if (r < 0) {
      Destroy(q.release());
      return Errno(env, -r);
    }
    if (U32Of(opts, "promisc", 0) != 0) {
      r = Promisc(q->fd, ifindex, true);
      if (r < 0) {
        Destroy(q.release());
        return Errno(env, -r);
      }
      q->promisc = true;
    }
    Napi::Value fanout = opts.Get("fanoutId");
    if (fanout.IsNumber() && fanout.As<Napi::Number>().Int32Value() >= 0) {
      int id = fanout.As<Napi::Number>().Int32Value();
      int mode = static_cast<int>(U32Of(opts, "fanoutMode", PACKET_FANOUT_HASH));
      int arg = (id & 0xffff) | ((mode | (id == 0 ? PACKET_FANOUT_FLAG_UNIQUEID : 0)) << 16);
      if (setsockopt(q->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) < 0) {
        r = -errno;
        Destroy(q.release());
        return Errno(env, -r);
      }
    }
  } else {
    int sndbuf = static_cast<int>(U32Of(opts, "sndbuf", 4 << 20));
    if (setsockopt(q->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0) {
      setsockopt(q->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    }
    r = Bind(q->fd, ifindex, 0);
    if (r < 0) {
      Destroy(q.release());
      return Errno(env, -r);
    }
    q->msgs.resize(batch);
    q->iov.resize(q->capacity);
    q->firstDesc.resize(batch);
    q->lastDesc.resize(batch);
  }
  gSerial = (gSerial + 1) & 0xfffff;
  q->handle = slot | (gSerial << 10);
  int handle = q->handle;
  gQueues[slot].store(q.release(), std::memory_order_release);
  return Napi::Number::New(env, handle);
}

namespace {

// Takes queue `slot` out of the table (the caller holds gMutex), waits
// until no call is inside it, and closes it.
void CloseSlot(int slot, Queue* q) {
  q->closing.store(true, std::memory_order_release);
  gQueues[slot].store(nullptr, std::memory_order_release);
  while (q->busy.load(std::memory_order_acquire) != 0) sched_yield();
  Destroy(q);
}

}  // namespace

// packetClose(handle) -> remaining references | -errno
// The socket closes with the last reference, once no call is inside it.
Napi::Value PacketClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int h = info[0].As<Napi::Number>().Int32Value();
  int slot = SlotOf(h);
  if (slot < 0) return Errno(env, EBADF);
  std::lock_guard<std::mutex> lock(gMutex);
  Queue* q = gQueues[slot].load(std::memory_order_acquire);
  if (q == nullptr || q->handle != h) return Errno(env, EBADF);
  if (--q->refs > 0) return Napi::Number::New(env, q->refs);
  CloseSlot(slot, q);
  return Napi::Number::New(env, 0);
}

// packetCloseKey(key) -> 1 when a queue was open under key, 0 when none
// Closes it whatever its references: every thread's handle on it then
// gets -EBADF (a port closed under lcores that still poll it).
Napi::Value PacketCloseKey(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) return Errno(env, EINVAL);
  std::string key = info[0].As<Napi::String>().Utf8Value();
  std::lock_guard<std::mutex> lock(gMutex);
  for (int slot = 0; slot < kMaxQueues; slot++) {
    Queue* q = gQueues[slot].load(std::memory_order_acquire);
    if (q != nullptr && q->key == key) {
      CloseSlot(slot, q);
      return Napi::Number::New(env, 1);
    }
  }
  return Napi::Number::New(env, 0);
}

// packetRefs(key) -> references to the queue open under key in this process (0: none)
Napi::Value PacketRefs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) return Errno(env, EINVAL);
  std::string key = info[0].As<Napi::String>().Utf8Value();
  std::lock_guard<std::mutex> lock(gMutex);
  for (int slot = 0; slot < kMaxQueues; slot++) {
    Queue* q = gQueues[slot].load(std::memory_order_acquire);
    if (q != nullptr && q->key == key) return Napi::Number::New(env, q->refs);
  }
  return Napi::Number::New(env, 0);
}

// packetRx(handle, max) -> packets (completions and used buffers in the area) | -errno
Napi::Value PacketRx(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Queue* q = Enter(info[0].As<Napi::Number>().Int32Value());
  if (q == nullptr) return Errno(env, EBADF);
  int max = info[1].As<Napi::Number>().Int32Value();
  int r = q->kind != kKindRx || max < 0 ? -EINVAL : q->mode == kModeRing ? RxRing(q, static_cast<uint32_t>(max)) : RxMmsg(q, static_cast<uint32_t>(max));
  Leave(q);
  return Napi::Number::New(env, r);
}

// packetTx(handle, descriptors) -> packets taken | -errno
Napi::Value PacketTx(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Queue* q = Enter(info[0].As<Napi::Number>().Int32Value());
  if (q == nullptr) return Errno(env, EBADF);
  int nd = info[1].As<Napi::Number>().Int32Value();
  int r = q->kind != kKindTx || nd < 0 ? -EINVAL : TxMmsg(q, static_cast<uint32_t>(nd));
  Leave(q);
  return Napi::Number::New(env, r);
}

// packetDrops(handle) -> packets the kernel dropped for this socket since the last call | -errno
// (PACKET_STATISTICS resets the kernel's counters on every read.)
Napi::Value PacketDrops(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Queue* q = Enter(info[0].As<Napi::Number>().Int32Value());
  if (q == nullptr) return Errno(env, EBADF);
  tpacket_stats_v3 st;
  memset(&st, 0, sizeof(st));
  socklen_t len = q->mode == kModeRing ? sizeof(tpacket_stats_v3) : sizeof(tpacket_stats);
  int r = getsockopt(q->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len);
  int err = r < 0 ? errno : 0;
  Leave(q);
  if (r < 0) return Errno(env, err);
  return Napi::Number::New(env, st.tp_drops);
}

// packetPromisc(handle, on) -> 0 | -errno
// This socket's PACKET_MR_PROMISC membership, held or not: idempotent, so
// every thread sharing the socket may apply the port's setting.
Napi::Value PacketPromisc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool on = info[1].ToBoolean().Value();
  std::lock_guard<std::mutex> lock(gMutex);
  Queue* q = Enter(info[0].As<Napi::Number>().Int32Value());
  if (q == nullptr) return Errno(env, EBADF);
  int r = 0;
  if (q->promisc != on) {
    sockaddr_ll sll;
    socklen_t len = sizeof(sll);
    r = getsockname(q->fd, reinterpret_cast<sockaddr*>(&sll), &len) < 0 ? -errno : Promisc(q->fd, sll.sll_ifindex, on);
    if (r == 0) q->promisc = on;
  }
  Leave(q);
  return Napi::Number::New(env, r);
}

// packetFanoutId(handle) -> the socket's fanout group id | -errno
Napi::Value PacketFanoutId(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Queue* q = Enter(info[0].As<Napi::Number>().Int32Value());
  if (q == nullptr) return Errno(env, EBADF);
  int arg = 0;
  socklen_t len = sizeof(arg);
  int r = getsockopt(q->fd, SOL_PACKET, PACKET_FANOUT, &arg, &len) < 0 ? -errno : (arg & 0xffff);
  Leave(q);
  return Napi::Number::New(env, r);
}

// packetSetList(handle, index, sab) -> 0 | -errno: maps one more list into a queue
// (a list registered after the queue was opened).
Napi::Value PacketSetList(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int index = info[1].As<Napi::Number>().Int32Value();
  if (index <= 0 || index >= static_cast<int>(kMaxLists)) return Errno(env, EINVAL);
  std::shared_ptr<v8::BackingStore> store = StoreOf(info[2]);
  if (!store) return Errno(env, EINVAL);
  std::lock_guard<std::mutex> lock(gMutex);
  Queue* q = Enter(info[0].As<Napi::Number>().Int32Value());
  if (q == nullptr) return Errno(env, EBADF);
  Region& r = q->regions[index];
  if (r.base == nullptr) {
    // Written before any call reads it: a call that raced this one would
    // see the entry empty and drop the packet as bad, never a torn entry.
    r.keep = std::move(store);
    r.len = r.keep->ByteLength();
    __atomic_store_n(&r.base, static_cast<char*>(r.keep->Data()), __ATOMIC_RELEASE);
  }
  Leave(q);
  return Napi::Number::New(env, 0);
}

}  // namespace rtemem

namespace rtemem {

void RegisterPacket(Napi::Env env, Napi::Object exports) {
  exports.Set("packetIfInfo", Napi::Function::New(env, PacketIfInfo, "packetIfInfo"));
  exports.Set("packetOpen", Napi::Function::New(env, PacketOpen, "packetOpen"));
  exports.Set("packetClose", Napi::Function::New(env, PacketClose, "packetClose"));
  exports.Set("packetCloseKey", Napi::Function::New(env, PacketCloseKey, "packetCloseKey"));
  exports.Set("packetRefs", Napi::Function::New(env, PacketRefs, "packetRefs"));
  exports.Set("packetRx", Napi::Function::New(env, PacketRx, "packetRx"));
  exports.Set("packetTx", Napi::Function::New(env, PacketTx, "packetTx"));
  exports.Set("packetDrops", Napi::Function::New(env, PacketDrops, "packetDrops"));
  exports.Set("packetPromisc", Napi::Function::New(env, PacketPromisc, "packetPromisc"));
  exports.Set("packetFanoutId", Napi::Function::New(env, PacketFanoutId, "packetFanoutId"));
  exports.Set("packetSetList", Napi::Function::New(env, PacketSetList, "packetSetList"));
}

}  // namespace rtemem
