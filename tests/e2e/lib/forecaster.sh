# tests/e2e/lib/forecaster.sh: sourced by the e2e scripts (not a test of
# its own): forecaster_st FILE writes a forecaster's safetensors file with
# rnnkit's metadata, in plain sh, so that a forecaster exists without
# training one.
# A forecaster: LSTM, 1 input, hidden 4, window 6, horizon 1, standard
# scaling, first differences; weight_ih 0.5 everywhere, fc.bias 0.25, the
# other weights 0.
forecaster_st() {
    h='{"__metadata__":{"format":"rnnkit","task":"forecast","cell":"lstm","hidden":"4","layers":"1",'
    h=$h'"inputs":"1","lookback":"6","horizon":"1","diff_order":"1","season":"12","scale":"standard",'
    h=$h'"scale_offset":"[0.25]","scale_scale":"[2]","columns":"[\"passengers\"]","date_column":"month",'
    h=$h'"test_frac":"0.25","valid_frac":"0.1"},'
    h=$h'"rnn.weight_ih_l0":{"dtype":"F32","shape":[16,1],"data_offsets":[0,64]},'
    h=$h'"rnn.weight_hh_l0":{"dtype":"F32","shape":[16,4],"data_offsets":[64,320]},'
    h=$h'"rnn.bias_ih_l0":{"dtype":"F32","shape":[16],"data_offsets":[320,384]},'
    h=$h'"rnn.bias_hh_l0":{"dtype":"F32","shape":[16],"data_offsets":[384,448]},'
    h=$h'"fc.weight":{"dtype":"F32","shape":[1,4],"data_offsets":[448,464]},'
    h=$h'"fc.bias":{"dtype":"F32","shape":[1],"data_offsets":[464,468]}}'
    n=${#h}
    {
        printf "\\$(printf %03o $((n % 256)))\\$(printf %03o $((n / 256)))\\000\\000\\000\\000\\000\\000"
        printf '%s' "$h"
        i=0
        while [ $i -lt 16 ]; do printf '\000\000\000\077'; i=$((i + 1)); done
        head -c 400 /dev/zero
        printf '\000\000\200\076'
    } >"$1"
}
