"""Training stage: the RNN encoder-decoder, its tokenizers, and the teacher-forced training loop."""

from .checkpoint import Checkpoint, TrainerState, load_checkpoint, save_checkpoint
from .config import ModelConfig, TrainConfig
from .decoding import greedy_decode, greedy_decode_batch
from .errors import TrainingInputError
from .model import Decoder, DecoderState, Encoder, EncoderOutput, Seq2Seq
from .tokenization import EOS_ID, PAD_ID, SOS_ID, UNK_ID, train_tokenizer

__all__ = [
    "Checkpoint", "Decoder", "DecoderState", "EOS_ID", "Encoder", "EncoderOutput", "ModelConfig", "PAD_ID",
    "SOS_ID", "Seq2Seq", "TrainConfig", "TrainerState", "TrainingInputError", "UNK_ID", "greedy_decode",
    "greedy_decode_batch", "load_checkpoint", "save_checkpoint", "train_tokenizer",
]
