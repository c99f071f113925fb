package dio

// Step labels of the model's own points. Each names what the kernel does
// at that point; Lines maps it to a line of a pseudo-code snippet so the
// UI can highlight where a task is.
const (
	lblJournalStart           = "ext4_journal_start: start a handle"
	lblJournalStop            = "ext4_journal_stop"
	lblDioBegin               = "inode_dio_begin: i_dio_count++"
	lblDioEnd                 = "inode_dio_end: i_dio_count--"
	lblDioWait                = "inode_dio_wait: wait for i_dio_count == 0"
	lblIoendCountInc          = "ext4_init_io_end: i_ioend_count++"
	lblIoendCountDec          = "ext4_release_io_end: i_ioend_count--"
	lblPutTestUnwritten       = "ext4_put_io_end: test io_end->flag & UNWRITTEN"
	lblClearIOUnwritten       = "ext4_clear_io_unwritten_flag: io_end->flag &= ~UNWRITTEN"
	lblIUnwrittenDec          = "ext4_clear_io_unwritten_flag: i_unwritten--"
	lblSetIOUnwrittenTest     = "ext4_set_io_unwritten_flag: test io_end->flag"
	lblSetIOUnwritten         = "ext4_set_io_unwritten_flag: io_end->flag |= UNWRITTEN"
	lblIUnwrittenInc          = "ext4_set_io_unwritten_flag: i_unwritten++"
	lblMapEntryLoad           = "ext4_ext_map_blocks: io = ext4_inode_aio(inode)"
	lblFindExtent             = "ext4_find_extent (may read an extent block)"
	lblConvertEndio           = "ext4_convert_unwritten_extents_endio: mark written"
	lblConvertToInit          = "ext4_ext_convert_to_initialized"
	lblConvertToUnwritten     = "convert written extent to unwritten (CONVERT_UNWRITTEN)"
	lblAllocate               = "ext4_mb_new_blocks + ext4_ext_insert_extent"
	lblHandleUnwrittenLoad    = "ext4_ext_handle_unwritten_extents: io = ext4_inode_aio(inode)"
	lblSplitConvert           = "ext4_split_convert_extents (PRE_IO)"
	lblSetStateDioUnwritten   = "ext4_set_inode_state(inode, EXT4_STATE_DIO_UNWRITTEN)"
	lblTestStateDioUnwritten  = "ext4_test_inode_state(inode, EXT4_STATE_DIO_UNWRITTEN)"
	lblClearStateDioUnwritten = "ext4_clear_inode_state(inode, EXT4_STATE_DIO_UNWRITTEN)"
	lblMarkInodeDirty         = "ext4_mark_inode_dirty: sb_getblk(inode table) -> check_irqs_on()"
	lblFallocAlloc            = "ext4_alloc_file_blocks: allocate unwritten extents"
	lblISizeWrite             = "i_size_write"
	lblISizeRead              = "i_size_read"
	lblPunchRemove            = "ext4_es_remove_extent + ext4_ext_remove_space"
	lblStoreNullStart         = "ext4_inode_aio_set(inode, NULL)"
	lblStoreIOEnd             = "ext4_inode_aio_set(inode, io_end)"
	lblStoreNullEnd           = "ext4_inode_aio_set(inode, NULL) after submission"
	lblOrphanAdd              = "ext4_orphan_add"
	lblOrphanDel              = "ext4_orphan_del"
	lblBPrivateSet            = "bh_result->b_private = io_end"
	lblGetBlockReread         = "_ext4_get_block: io_end = ext4_inode_aio(inode)"
	lblGetBlockTestFlag       = "_ext4_get_block: io_end->flag & UNWRITTEN -> set_buffer_defer_completion"
	lblESLookup               = "ext4_es_lookup_extent"
	lblEndIOSetRange          = "ext4_end_io_dio: io_end->offset, size = range"
	lblEndIOTakePrivate       = "ext4_end_io_dio: io_end = iocb->private"
	lblVerifyWrite            = "fio verify: read back the completed write (model check)"
	lblDioAwait               = "dio_await_completion"
	lblDioDropRef             = "do_blockdev_direct_IO: drop the submitter's dio reference"
	lblDeferTest              = "get_more_blocks: buffer_defer_completion(map_bh)?"
	lblSetDefer               = "dio_set_defer_completion: dio->defer_completion = true"
	lblInitDoneWQ             = "sb_init_dio_done_wq: alloc_workqueue(\"dio/sda\")"
	lblEndAioDeferTest        = "dio_bio_end_aio: dio->result && dio->defer_completion?"
	lblOverwriteDecision      = "ext4_file_write_iter: overwrite = 1"
	lblReadData               = "submit read bios and copy data"
	lblDioComplete            = "dio_complete"
	lblKiComplete             = "aio_complete: ki_complete (event to io_getevents)"
	lblGetEventsAll           = "fio: io_getevents until nothing is in flight"
	lblGetEventsSlot          = "fio: io_getevents until a queue slot is free"
	lblStonewall              = "fio: stonewall: wait for the earlier jobs"
)

// Snippet is short pseudo-code for one kernel function (ours, not kernel
// source), numbered from 1.
type Snippet struct {
	Func  string   `json:"func"`
	File  string   `json:"file"`
	Lines []string `json:"lines"`
}

// Line locates a step label in a snippet.
type Line struct {
	Func string `json:"func"`
	Line int    `json:"line"`
}

// Snippets is the pseudo-code the UI shows, keyed by kernel function.
var Snippets = map[string]Snippet{
	"ext4_file_write_iter": {Func: "ext4_file_write_iter", File: "fs/ext4/file.c", Lines: []string{
		"inode_lock(inode)                      /* i_mutex */",
		"overwrite = 0",
		"if (dioread_nolock && pos + len <= i_size_read(inode))",
		"    if (ext4_map_blocks(NULL, &map, 0) == len && MAPPED)",
		"        overwrite = 1                  /* may drop i_mutex */",
		"ret = ext4_direct_IO(iocb, iter)",
		"inode_unlock(inode)",
	}},
	"ext4_ext_direct_IO": {Func: "ext4_ext_direct_IO", File: "fs/ext4/inode.c", Lines: []string{
		"if (offset + count > i_size) return ext4_ind_direct_IO()",
		"inode_dio_begin(inode)",
		"if (overwrite) { [v4.4: down_read(i_data_sem)]; inode_unlock(inode) }",
		"iocb->private = NULL; ext4_inode_aio_set(inode, NULL)   [jan-fix: not for overwrite]",
		"if (AIO) { io_end = ext4_init_io_end(); iocb->private = ext4_get_io_end(io_end);",
		"           ext4_inode_aio_set(inode, io_end) }",
		"ret = __blockdev_direct_IO(..., get_block_func, ext4_end_io_dio)",
		"if (io_end) { ext4_inode_aio_set(inode, NULL); ext4_put_io_end(io_end); ... }",
		"if (ret > 0 && !overwrite && DIO_UNWRITTEN) convert now, clear the bit",
		"inode_dio_end(inode)",
		"if (overwrite) { [v4.4: up_read(i_data_sem)]; inode_lock(inode) }",
	}},
	"_ext4_get_block": {Func: "_ext4_get_block", File: "fs/ext4/inode.c", Lines: []string{
		"if (flags && !handle) handle = ext4_journal_start()  [v4.4: not with NO_LOCK]",
		"ret = ext4_map_blocks(handle, inode, &map, flags)",
		"io_end = ext4_inode_aio(inode)          /* no reference! */",
		"if (io_end && io_end->flag & EXT4_IO_END_UNWRITTEN)",
		"    set_buffer_defer_completion(bh)",
		"ext4_journal_stop(handle)",
	}},
	"ext4_map_blocks": {Func: "ext4_map_blocks", File: "fs/ext4/inode.c", Lines: []string{
		"if (ext4_es_lookup_extent()) goto found   /* no lock */",
		"down_read(i_data_sem)  [v4.4: not with NO_LOCK]",
		"ext4_ext_map_blocks(handle, inode, map, 0)",
		"up_read(i_data_sem)",
		"if (!CREATE || (MAPPED && !CONVERT_UNWRITTEN)) return",
		"down_write(i_data_sem)",
		"ext4_ext_map_blocks(handle, inode, map, flags)",
		"up_write(i_data_sem)",
	}},
	"ext4_ext_map_blocks": {Func: "ext4_ext_map_blocks", File: "fs/ext4/extents.c", Lines: []string{
		"io = ext4_inode_aio(inode)",
		"path = ext4_find_extent(...)           /* may sleep */",
		"if (unwritten extent) return ext4_ext_handle_unwritten_extents(..)",
		"allocate: ext4_mb_new_blocks; ext4_ext_insert_extent",
		"if (PRE_IO) { if (io) ext4_set_io_unwritten_flag(inode, io);",
		"              else ext4_set_inode_state(inode, DIO_UNWRITTEN) }",
	}},
	"ext4_ext_handle_unwritten_extents": {Func: "ext4_ext_handle_unwritten_extents", File: "fs/ext4/extents.c", Lines: []string{
		"io = ext4_inode_aio(inode)",
		"if (PRE_IO) { ext4_split_convert_extents(...)",
		"    if (io) ext4_set_io_unwritten_flag(inode, io);",
		"    else ext4_set_inode_state(inode, DIO_UNWRITTEN) }",
		"if (CONVERT) ext4_convert_unwritten_extents_endio(...)",
	}},
	"ext4_put_io_end": {Func: "ext4_put_io_end", File: "fs/ext4/page-io.c", Lines: []string{
		"if (atomic_dec_and_test(&io_end->count)) {",
		"    if (io_end->flag & EXT4_IO_END_UNWRITTEN) {",
		"        ext4_convert_unwritten_extents(NULL, inode, offset, size)",
		"        ext4_clear_io_unwritten_flag(io_end) }",
		"    ext4_release_io_end(io_end) }",
	}},
	"ext4_convert_unwritten_extents": {Func: "ext4_convert_unwritten_extents", File: "fs/ext4/extents.c", Lines: []string{
		"for each extent of [offset, offset+len):",
		"    handle = ext4_journal_start()       /* sleeps: BUG in IRQ */",
		"    ext4_map_blocks(handle, inode, &map, IO_CONVERT_EXT)  /* down_write */",
		"    ext4_mark_inode_dirty(handle, inode)  /* check_irqs_on() */",
		"    ext4_journal_stop(handle)",
	}},
	"do_blockdev_direct_IO": {Func: "do_blockdev_direct_IO", File: "fs/direct-io.c", Lines: []string{
		"dio = kmem_cache_alloc(); dio->refcount = 1; inode_dio_begin(inode)",
		"for each mapping: get_more_blocks() -> get_block(); dio->private = map_bh.b_private",
		"    if (buffer_defer_completion(map_bh)) dio_set_defer_completion(dio)",
		"    dio_bio_submit(): dio->refcount++; submit_bio()",
		"if (is_async && all mapped) ret = -EIOCBQUEUED else dio_await_completion()",
		"if (--dio->refcount == 0) ret = dio_complete(dio, ret, false)",
	}},
	"dio_bio_end_aio": {Func: "dio_bio_end_aio", File: "fs/direct-io.c", Lines: []string{
		"remaining = --dio->refcount             /* in IRQ */",
		"if (remaining == 0) {",
		"    if (dio->result && dio->defer_completion) queue_work(s_dio_done_wq, ...)",
		"    else dio_complete(dio, 0, true)   /* right here, in the interrupt */ }",
	}},
	"dio_complete": {Func: "dio_complete", File: "fs/direct-io.c", Lines: []string{
		"if (dio->end_io && dio->result) dio->end_io(iocb, offset, ret, dio->private)",
		"inode_dio_end(inode)",
		"if (is_async) iocb->ki_complete(iocb, ret, 0)",
		"kmem_cache_free(dio)",
	}},
	"ext4_end_io_dio": {Func: "ext4_end_io_dio", File: "fs/ext4/inode.c", Lines: []string{
		"io_end = iocb->private   [v4.6: the private argument]",
		"if (!io_end) return",
		"iocb->private = NULL; io_end->offset = offset; io_end->size = size",
		"ext4_put_io_end(io_end)",
	}},
	"ext4_fallocate": {Func: "ext4_fallocate", File: "fs/ext4/extents.c", Lines: []string{
		"inode_lock(inode)",
		"inode_dio_wait(inode)",
		"handle = ext4_journal_start(); down_write(i_data_sem)",
		"ext4_ext_map_blocks(CREATE_UNWRIT_EXT): unwritten extents",
		"up_write(i_data_sem); i_size update unless KEEP_SIZE; ext4_journal_stop()",
		"inode_unlock(inode)",
	}},
	"ext4_punch_hole": {Func: "ext4_punch_hole", File: "fs/ext4/inode.c", Lines: []string{
		"inode_lock(inode)",
		"inode_dio_wait(inode)",
		"handle = ext4_journal_start(); down_write(i_data_sem)",
		"ext4_es_remove_extent(); ext4_ext_remove_space()",
		"up_write(i_data_sem); ext4_journal_stop(); inode_unlock(inode)",
	}},
}

// Lines maps a step label to its snippet line.
var Lines = map[string]Line{
	lblOverwriteDecision:      {"ext4_file_write_iter", 5},
	lblISizeRead:              {"ext4_file_write_iter", 3},
	lblDioBegin:               {"ext4_ext_direct_IO", 2},
	lblStoreNullStart:         {"ext4_ext_direct_IO", 4},
	lblStoreIOEnd:             {"ext4_ext_direct_IO", 6},
	lblStoreNullEnd:           {"ext4_ext_direct_IO", 8},
	lblTestStateDioUnwritten:  {"ext4_ext_direct_IO", 9},
	lblClearStateDioUnwritten: {"ext4_ext_direct_IO", 9},
	lblDioEnd:                 {"ext4_ext_direct_IO", 10},
	lblJournalStart:           {"_ext4_get_block", 1},
	lblGetBlockReread:         {"_ext4_get_block", 3},
	lblGetBlockTestFlag:       {"_ext4_get_block", 4},
	lblJournalStop:            {"_ext4_get_block", 6},
	lblESLookup:               {"ext4_map_blocks", 1},
	lblMapEntryLoad:           {"ext4_ext_map_blocks", 1},
	lblFindExtent:             {"ext4_ext_map_blocks", 2},
	lblAllocate:               {"ext4_ext_map_blocks", 4},
	lblSetIOUnwrittenTest:     {"ext4_ext_map_blocks", 5},
	lblSetIOUnwritten:         {"ext4_ext_map_blocks", 5},
	lblIUnwrittenInc:          {"ext4_ext_map_blocks", 5},
	lblSetStateDioUnwritten:   {"ext4_ext_map_blocks", 6},
	lblHandleUnwrittenLoad:    {"ext4_ext_handle_unwritten_extents", 1},
	lblSplitConvert:           {"ext4_ext_handle_unwritten_extents", 2},
	lblConvertEndio:           {"ext4_ext_handle_unwritten_extents", 5},
	lblPutTestUnwritten:       {"ext4_put_io_end", 2},
	lblClearIOUnwritten:       {"ext4_put_io_end", 4},
	lblIUnwrittenDec:          {"ext4_put_io_end", 4},
	lblIoendCountDec:          {"ext4_put_io_end", 5},
	lblMarkInodeDirty:         {"ext4_convert_unwritten_extents", 4},
	lblDeferTest:              {"do_blockdev_direct_IO", 3},
	lblSetDefer:               {"do_blockdev_direct_IO", 3},
	lblInitDoneWQ:             {"do_blockdev_direct_IO", 3},
	lblDioAwait:               {"do_blockdev_direct_IO", 5},
	lblDioDropRef:             {"do_blockdev_direct_IO", 6},
	lblEndAioDeferTest:        {"dio_bio_end_aio", 3},
	lblDioComplete:            {"dio_complete", 1},
	lblKiComplete:             {"dio_complete", 3},
	lblEndIOTakePrivate:       {"ext4_end_io_dio", 1},
	lblEndIOSetRange:          {"ext4_end_io_dio", 3},
	lblDioWait:                {"ext4_fallocate", 2},
	lblFallocAlloc:            {"ext4_fallocate", 4},
	lblPunchRemove:            {"ext4_punch_hole", 4},
}

// LineOf returns the snippet line of a step label, if it has one.
func LineOf(label string) (Line, bool) {
	l, ok := Lines[label]
	return l, ok
}
