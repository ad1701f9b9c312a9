; A two-layer MLP on the sim-small preset:
;   H = relu(requant1(A · W1)),  Y = requant2(H · W2)
; A int8 [8, 8], W1 int8 [8, 4], W2 int8 [4, 4].
;
; Memory image:
;   b0:0..16   A (two K tiles of 8 rows)
;   b1/b2:0..4 W1 (tiles k0, k1; 2 install words each)
;   b1/b2:4..6 W2 (one tile)
;   b1:6..13   layer-1 parameters, b1:13..20 layer-2 parameters
; Result:
;   b0:16..24  H (the hidden activations, also layer 2's input)
;   b0:24..32  Y
; The schedule overlaps units: W2 installs while layer 1 streams, the requantizer
; loads its parameters while the array works, layer 2 starts as soon as H has landed.

.equ M, 8

    mxu.load 0
    wait 0
    mxu.run 0, M, 0, swap, load 2       ; layer 1, K tile 0; install W1 tile k1
    wait M - 2
    mxu.run 8, M, 0, swap, acc, load 4  ; layer 1, K tile 1; install W2
    wait 0                              ; the install reads bank 1 for 2 cycles
    rq.param b1:6                       ; layer-1 parameters
    wait 9                              ; accumulator read port busy until the run drains
    rq.run 0, M, b0:16, relu            ; H = relu(requant1(C1)) into b0:16..24
    wait M - 2
    rq.param b1:13                      ; layer-2 parameters (the unit is free again)
    mxu.run 16, M, 8, swap              ; layer 2 reads H right after its rows land
    wait 11
    rq.run 8, M, b0:24                  ; Y = requant2(C2)
    halt
